//! `lanyard status`: where data and secrets live, and whether the secret store works.

use lanyard_core::{Lanyard, Result};

use crate::output::Output;

pub async fn run(lanyard: &Lanyard, out: &Output) -> Result<()> {
    let status = lanyard.status().await?;
    out.print(&status, || {
        let store = &status.secret_store;
        let mut text = format!(
            "Lanyard {}\ndata dir:       {}\ndatabase:       {}\nschema version: {}\n\
             secret store:   {} ({})\n                {}",
            status.version,
            status.data_dir.display(),
            status.database_path,
            status.schema_version,
            store.backend.as_str(),
            if store.usable { "usable" } else { "UNUSABLE" },
            store.detail,
        );
        if let Some(warning) = &store.warning {
            text.push_str(&format!("\nwarning:        {warning}"));
        }
        for setting in &status.environment {
            text.push_str(&format!(
                "\nfrom the environment: {}={}\n                {}",
                setting.variable, setting.value, setting.effect
            ));
        }
        text
    });
    Ok(())
}
