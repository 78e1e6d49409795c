"""Issue 14: the hostile-string, hostile-file and hostile-environment cases run as one suite.

``pytest -m hostile`` (``make test-hostile``) selects them. :data:`HOSTILE` is the
agreed list; these tests keep the list, the markers and docs/security.md in step:

- pytest itself collects the listed files with ``-m hostile`` and every listed
  test must be selected (a marker lost in an edit fails here);
- a file that uses the marker must be listed (a new hostile test is registered);
- a test whose source feeds a typical hostile input (a formula, a script tag,
  bidi or NUL characters, a pickle, a YAML code tag, a path escaping its folder)
  must be listed or be named in :data:`NOT_HOSTILE` with the reason;
- docs/security.md names every listed file, and names no test file outside the list.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
ALL = "*"  # every test of the file

#: file -> the tests that feed hostile input (ALL: the whole module is about it)
HOSTILE: dict[str, list[str] | str] = {
    # hostile files and cells on the way in
    "tests/ingest/test_accounting_property.py": ["test_every_physical_line_is_accounted_for_under_stray_quotes_and_line_breaks"],
    # the corpus's hostile files (its HOSTILE_FILES and structure family) only
    "tests/ingest/test_corpus.py": ["test_corpus_cli", "test_corpus_cli_child_process", "test_corpus_values"],
    "tests/ingest/test_structure.py": [
        "test_nul_byte_marks_its_cell_not_the_file", "test_unclosed_quote_rejects_the_file_at_the_line_where_it_opens",
        "test_files_that_are_not_csv_are_named", "test_workbook_renamed_csv_is_named",
        "test_xlsx_unpacking_beyond_the_limit_is_refused"],
    "tests/ingest/test_readers.py": ["test_quoted_field_with_newlines_keeps_spreadsheet_row_numbers",
                                     "test_row_with_too_many_values_is_kept_as_a_bad_record"],
    "tests/ingest/test_numbers.py": ["test_values_that_do_not_fit_the_locale_are_not_numbers"],  # a phone number as money
    "tests/ingest/test_presets_vendors.py": ["test_hubspot_contacts_store_no_names_emails_or_phones"],
    "tests/ingest/test_yaml_tags.py": ALL,
    "tests/ingest/test_campaign_map.py": [
        "test_hostile_labels_round_trip_and_no_cell_of_the_file_runs_as_a_formula",
        "test_any_label_round_trips_exactly_through_the_map_file", "test_a_stored_label_with_a_carriage_return_is_mapped"],
    # what coordkit writes
    "tests/test_csv_cells.py": ALL,
    "tests/present/test_safe_export.py": ALL,
    "tests/present/test_csv_injection_line_breaks.py": ALL,
    "tests/cli/test_explain_cli.py": ["test_explain_neutralises_formulas_in_labels"],
    "tests/present/test_markdown_names.py": ALL,
    "tests/analysis/test_narrative.py": ["test_user_strings_are_escaped"],
    "tests/analysis/test_pipeline_movement.py": ["test_findings_are_escaped"],
    "tests/present/test_charts.py": ["test_labels_from_the_data_are_escaped_and_shown_whole"],
    "tests/present/test_checkin_view.py": ["test_every_user_string_is_escaped", "test_saving_persists_keeps_history_and_escapes"],
    "tests/browser/test_review_html.py": ["test_script_injection_from_a_campaign_name_shows_as_text",
                                          "test_review_opens_offline_with_charts_and_no_code"],
    "tests/report/test_review_render.py": [
        "test_html_has_no_code_and_no_contact_emails", "test_unknown_parameter_fails_before_execution_and_lists_accepted",
        "test_malformed_week_or_unknown_team", "test_failure_keeps_no_html_keeps_the_failed_notebook_and_the_previous_report"],
    "tests/report/test_review_batch_failures.py": ALL,
    "tests/test_filenames.py": ALL,
    "tests/cli/test_notebooks_init.py": [
        "test_an_absolute_workspace_with_quotes_stays_a_valid_literal",
        "test_ingest_into_a_folder_without_a_workspace_says_how_to_create_one",
        "test_demo_never_rebuilds_a_workspace_it_did_not_build", "test_rebuilding_the_demo_keeps_its_checkin_notes"],
    # shared workspace folders
    "tests/analysis/test_review_cache.py": ALL,
    "tests/ingest/test_workspace.py": ["test_a_second_writer_waits_then_gets_a_clear_lock_error",
                                       "test_two_processes_ingesting_at_once_do_not_corrupt_the_store"],
    "tests/ingest/test_validate.py": ["test_lock_message_says_how_long_it_waited_and_which_setting_to_raise"],
    "tests/ingest/test_checkins.py": ["test_two_processes_saving_at_once_keep_every_note",
                                      "test_a_store_held_by_another_process_gives_a_clear_lock_error"],
    "tests/ingest/test_checkins_transfer.py": ALL,
    "tests/ingest/test_store_released.py": ALL,
    "tests/cli/test_environment_errors.py": ALL,
    "tests/report/test_review_batch.py": ["test_an_ingest_during_a_batch_does_not_mix_store_states",
                                          "test_no_personal_data_in_any_rendered_file_and_no_other_teams_quality_facts"],
    # reports sent to clients, and the people in the data
    "tests/analysis/test_review_sections.py": ["test_review_frames_hold_no_contact_emails"],
    "tests/analysis/test_review_failed_ingests.py": ALL,
    "tests/ingest/test_forget.py": ALL,
    "tests/ingest/test_forget_notes.py": ALL,
    "tests/ingest/test_retention.py": ["test_keep_values_false_keeps_where_and_why_but_no_value",
                                       "test_turning_keep_values_off_strips_rows_already_kept_and_status_says_how_much_is_kept"],
}

#: tests whose source looks hostile but that feed nothing hostile to coordkit, with the reason
NOT_HOSTILE = {
    "tests/test_demo.py::test_script_injection_and_email_rows": "checks that the demo generator plants the rows; "
    "the review tests above feed them",
    "tests/test_hostile_suite.py": "this file names the patterns",
    "tests/present/test_charts.py::test_svg_is_static_scales_to_its_column_and_keeps_text_legible":
        "asserts that the SVG has no <script>; feeds ordinary labels",
    "tests/present/test_checkin_view.py::test_trend_chart_marks_the_weeks_that_fire_a_rule":
        "asserts that the chart has no <script>; feeds ordinary labels",
}

#: what a hostile input looks like in a test's source (a formula, markup, bidi/NUL, code in data, escaping paths)
HOSTILE_SOURCE = re.compile(
    r"=cmd\||HYPERLINK\(|<script|onerror=|\\u202[a-e]|\\u206[6-9]|\\x00|pickle\.|!!python|\.\./\.\./|"
    r"\+44 20 7946")


def _test_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}


def _listed(file: str) -> set[str]:
    names = HOSTILE[file]
    return set(_test_functions(ROOT / file)) if names == ALL else set(names)


@pytest.mark.slow  # a pytest collection in a child process: ~5 s quiet, ~30 s on a loaded machine
def test_every_listed_test_is_selected_by_the_hostile_marker():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "hostile", "-p", "no:cacheprovider", *HOSTILE],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    selected = {line.split("[", 1)[0] for line in result.stdout.splitlines() if "::" in line}
    wanted = {f"{file}::{name}" for file in HOSTILE for name in _listed(file)}
    assert not wanted - selected, f"listed as hostile but not marked: {sorted(wanted - selected)}"
    assert not selected - wanted, f"marked hostile but not listed in HOSTILE: {sorted(selected - wanted)}"


def test_every_file_using_the_marker_is_listed():
    using = {str(p.relative_to(ROOT)) for p in TESTS.rglob("test_*.py")
             if "mark.hostile" in p.read_text(encoding="utf-8") and p.name != Path(__file__).name}
    assert not using - set(HOSTILE), f"uses the hostile marker but is not in HOSTILE: {sorted(using - set(HOSTILE))}"
    assert all((ROOT / file).is_file() for file in HOSTILE)


def test_a_test_that_feeds_a_typical_hostile_input_is_listed():
    unlisted = []
    for path in sorted(TESTS.rglob("test_*.py")):
        file = str(path.relative_to(ROOT))
        if file in NOT_HOSTILE:
            continue
        source = path.read_text(encoding="utf-8")
        listed = _listed(file) if file in HOSTILE else set()
        for name, node in _test_functions(path).items():
            if name not in listed and f"{file}::{name}" not in NOT_HOSTILE \
                    and HOSTILE_SOURCE.search(ast.get_source_segment(source, node) or ""):
                unlisted.append(f"{file}::{name}")
    assert not unlisted, f"these tests feed hostile input: mark them hostile and list them (or say why not): {unlisted}"


def test_docs_security_names_every_hostile_file_and_no_other_test_file():
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(tests/[\w/]+\.py)", text))
    assert not set(HOSTILE) - named, f"docs/security.md does not say what these cover: {sorted(set(HOSTILE) - named)}"
    helpers = {"tests/review_html_checks.py", "tests/test_hostile_suite.py"}  # shared checks; this registry
    assert not named - set(HOSTILE) - helpers, f"docs/security.md names tests outside the suite: {sorted(named - set(HOSTILE) - helpers)}"
