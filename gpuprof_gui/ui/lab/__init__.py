"""The Kernel lab tab: candidates, results, charts and live GPU telemetry."""
