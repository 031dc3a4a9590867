"""Quality benchmark on MovieLens-100K following `../shared/BENCHMARK.md`."""
