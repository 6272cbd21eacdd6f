//! The committed JSON Schema must match the output types: a change to the JSON contract has
//! to show up in review as a change to `schema/run-summary.schema.json`.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test -p rigor-model --test schema`.

use std::path::PathBuf;

#[test]
fn committed_schema_matches_the_output_types() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/run-summary.schema.json");
    let generated =
        serde_json::to_string_pretty(&rigor_model::output::run_summary_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with rigor_model::output; if the change is intended, bump SCHEMA_VERSION when it is incompatible and run UPDATE_SCHEMA=1 cargo test -p rigor-model --test schema",
        path.display()
    );
}
