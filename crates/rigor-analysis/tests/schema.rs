//! The committed JSON Schemas of `rigor compare --json` and `rigor gate --json` must match
//! the output types. Regenerate with `UPDATE_SCHEMA=1 cargo test -p rigor-analysis --test schema`.

use std::path::PathBuf;

#[test]
fn committed_schemas_match_the_output_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    let (comparison, gate) = rigor_analysis::output::schemas();
    for (file, schema) in [
        ("comparison.schema.json", comparison),
        ("gate.schema.json", gate),
    ] {
        let path = dir.join(file);
        let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is out of date: run UPDATE_SCHEMA=1 cargo test -p rigor-analysis --test schema",
            path.display()
        );
    }
}
