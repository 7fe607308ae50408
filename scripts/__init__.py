"""Developer scripts: benchmarks, fault injection and the staffing simulator. Run them from
the repository root as modules (`python -m scripts.bench`)."""
