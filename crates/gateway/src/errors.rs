//! How a core [`Error`] becomes an HTTP answer: `{ "code", "message" }` with the status a
//! client can act on (the table in [`crate::api`]), `WWW-Authenticate` on a 401, and the
//! code in the response's extensions ([`RefusalCode`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lanyard_core::Error;

/// The HTTP status of an error code.
pub fn status_of(err: &Error) -> StatusCode {
    match err {
        Error::Unauthenticated(_) | Error::SessionRequired(_) => StatusCode::UNAUTHORIZED,
        Error::NotLinked(_)
        | Error::UnknownPrincipal(_)
        | Error::NotCovered(_)
        | Error::ProxyOnly(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::NeedsReauth(_) | Error::NeedsPrompt(_) | Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Revoked(_) => StatusCode::GONE,
        Error::InvalidInput { .. } => StatusCode::BAD_REQUEST,
        Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::ProviderError(_) | Error::RequestFailed(_) | Error::ReflectedCredential(_) => {
            StatusCode::BAD_GATEWAY
        }
        Error::ProviderUnavailable(_) | Error::SecretStoreUnavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error code of a gateway refusal, carried in the response's extensions (for the
/// screen states, `data::answer_as`).
#[derive(Debug, Clone, Copy)]
pub struct RefusalCode(pub &'static str);

/// `{ code, message }` with its status.
pub fn error_response(err: &Error) -> Response {
    let mut response = (status_of(err), Json(err)).into_response();
    response.extensions_mut().insert(RefusalCode(err.code()));
    if matches!(err, Error::Unauthenticated(_) | Error::SessionRequired(_)) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"lanyard\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_statuses_clients_act_on() {
        let cases = [
            (Error::Unauthenticated(String::new()), 401),
            (Error::NotLinked(String::new()), 403),
            (Error::NeedsReauth(String::new()), 409),
            (Error::RateLimited(String::new()), 429),
            (Error::ProviderUnavailable(String::new()), 503),
            (Error::Revoked(String::new()), 410),
            (Error::Storage(String::new()), 500),
            (Error::NotCovered(String::new()), 403),
            (Error::ProxyOnly(String::new()), 403),
            (Error::NeedsPrompt(String::new()), 409),
            (Error::RequestFailed(String::new()), 502),
            (Error::ReflectedCredential(String::new()), 502),
            (Error::SessionRequired(String::new()), 401),
        ];
        for (err, status) in cases {
            assert_eq!(status_of(&err).as_u16(), status, "{}", err.code());
        }
        let r = error_response(&Error::Unauthenticated("x".into()));
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
