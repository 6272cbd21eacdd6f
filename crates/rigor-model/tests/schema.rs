//! The committed JSON Schemas must match the output types: a change to the JSON contract has
//! to show up in review as a change to a file under `schema/`.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test -p rigor-model --test schema`.

use std::path::PathBuf;

#[test]
fn committed_schemas_match_the_output_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    for (name, schema) in rigor_model::output::schemas() {
        let path = dir.join(name);
        let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
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
}
