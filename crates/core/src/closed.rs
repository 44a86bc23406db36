//! Closed sets stored as text (audit actions, offer states, …): one macro declares the
//! enum, its stored name and its parser, so a value has one spelling everywhere. With the
//! `ts` feature each also derives `ts_rs::TS`, so the UI sees it as a union type.

/// Declares a closed set stored as text: the enum, its stored name and its parser.
macro_rules! stored_names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored and serialized name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value stored as `text`, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The value read back from the database: a name this version does not know
            /// was written by a newer version.
            #[allow(dead_code)]
            pub(crate) fn from_stored(text: String) -> crate::error::Result<Self> {
                Self::parse(&text).ok_or_else(|| {
                    crate::error::Error::Internal(format!(
                        "the database holds \"{text}\" as {}, which this version of Lanyard \
                         does not know",
                        stringify!($name)
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}
pub(crate) use stored_names;
