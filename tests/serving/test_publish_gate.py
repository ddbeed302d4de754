"""Which failed checks hold the serving copy back: the latest result of each, by its severity."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.serving import failing_checks

MART = dg.AssetKey(["marts", "mart_x"])
SUITE = dg.AssetCheckKey(MART, "great_expectations")
TEST = dg.AssetCheckKey(MART, "not_null_id")


def _materialize(instance: dg.DagsterInstance, results: dict[str, dg.AssetCheckSeverity | None]):
    """Materializes MART with its two blocking checks: None passes, a severity fails with it."""

    @dg.asset(
        key=MART,
        check_specs=[dg.AssetCheckSpec(name, asset=MART, blocking=True) for name in results],
    )
    def mart_x():
        yield dg.Output(1)
        for name, severity in results.items():
            yield dg.AssetCheckResult(
                check_name=name,
                passed=severity is None,
                severity=severity or dg.AssetCheckSeverity.ERROR,
            )

    # a failed ERROR check fails the step: the run's outcome is not what is tested here
    dg.materialize([mart_x], instance=instance, raise_on_error=False)


def test_only_a_check_that_failed_with_error_severity_holds_publishing_back() -> None:
    instance = dg.DagsterInstance.ephemeral()
    warn, error = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR

    _materialize(instance, {SUITE.name: warn, TEST.name: None})
    assert failing_checks(instance, [SUITE, TEST]) == []

    _materialize(instance, {SUITE.name: warn, TEST.name: error})
    assert failing_checks(instance, [SUITE, TEST]) == ["marts/mart_x / not_null_id"]

    _materialize(instance, {SUITE.name: error, TEST.name: None})
    assert failing_checks(instance, [SUITE, TEST]) == ["marts/mart_x / great_expectations"]

    _materialize(instance, {SUITE.name: None, TEST.name: None})
    assert failing_checks(instance, [SUITE, TEST]) == []
