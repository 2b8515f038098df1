//! Placeholder until the issue branch lands.
pub fn create_demo_store(_dir: &std::path::Path, _now: time::OffsetDateTime) -> anyhow::Result<()> {
    anyhow::bail!("demo not built yet")
}
