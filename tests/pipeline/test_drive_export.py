"""A day's run with the Drive export on puts the day's three files into `<export folder>/<day>` of the local Drive
server (through the Sheets service account), shows their links, and a rerun replaces them instead of adding copies."""

from pathlib import Path

import dagster as dg

from content_pipeline.sample_site.server import sample_urls
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import DEFAULT_CLIENT_EMAIL
from tests.pipeline.conftest import drive_settings

DAY = "2026-11-24"
NAMES = ["records.csv", "records.parquet", "report.html"]


def settings_with_drive(home: Path, site: str, server: FakeDriveServer, folder: str) -> Settings:
    link = f"https://drive.google.com/drive/folders/{folder}?usp=sharing"
    settings = drive_settings(home, server, CONTENT_PIPELINE_DRIVE_EXPORT_FOLDER=link)
    settings.inbox.mkdir(parents=True)
    lines = ["url,expected_kind", *[f"{url},{kind}" for url, kind in sample_urls(site)][:4]]
    (settings.inbox / f"site-{DAY}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return settings


def test_a_day_run_uploads_its_files_to_the_day_folder_and_a_rerun_replaces_only_what_changed(
    tmp_path: Path, sample_site: str, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    root = drive.add_folder("Reports")
    settings = settings_with_drive(tmp_path / "home", sample_site, drive, root)
    assert run_partition(settings, DAY, instance).success
    [day_folder] = drive.children(root)
    assert day_folder.name == DAY
    stored = {f.name: f for f in drive.children(day_folder.id)}
    assert sorted(stored) == NAMES
    output = Path(settings.resources.exporter.output) / DAY
    assert all(stored[name].data == (output / name).read_bytes() for name in NAMES)
    event = instance.get_latest_materialization_event(dg.AssetKey("export_files"))
    assert event is not None and event.asset_materialization is not None
    links = event.asset_materialization.metadata["drive_files"].value
    assert links == {name: f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk" for name, f in stored.items()}

    drive.drive_requests.clear()
    assert run_partition(settings, DAY, instance).success  # a rerun of an unchanged day: the same bytes
    assert [r for r in drive.drive_requests if r.method in ("POST", "PATCH", "PUT")] == []  # nothing uploaded

    lines = [f"{url},{kind}" for url, kind in sample_urls(sample_site)][4:6]
    (settings.inbox / f"more-{DAY}.csv").write_text("url,expected_kind\n" + "\n".join(lines) + "\n", encoding="utf-8")
    drive.drive_requests.clear()
    assert run_partition(settings, DAY, instance).success  # a rerun of the day with two more links
    replaced = [r.path.rsplit("/", 1)[-1] for r in drive.drive_requests if r.method == "PATCH" and r.status == 200]
    assert sorted(replaced) == sorted(f.id for f in stored.values())  # each file updated once, none created
    assert [r for r in drive.drive_requests if r.method == "POST"] == []
    assert [f.name for f in drive.children(root)] == [DAY]
    assert all(f.data == (output / f.name).read_bytes() for f in drive.children(day_folder.id))
    again = {f.name: f.id for f in drive.children(day_folder.id)}
    assert again == {name: f.id for name, f in stored.items()}  # the same files, replaced in place


def test_a_folder_not_shared_with_the_account_fails_the_run_with_one_line_naming_its_email(
    tmp_path: Path, sample_site: str, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    hidden = drive.add_folder("Private", shared=False)
    settings = settings_with_drive(tmp_path / "home", sample_site, drive, hidden)
    result = run_partition(settings, DAY, instance)
    assert not result.success
    [failure] = [event.step_failure_data.error for event in result.all_events if event.is_step_failure]
    assert failure is not None
    line = failure.message.strip()
    assert "\n" not in line and DEFAULT_CLIENT_EMAIL in line and hidden in line, line
    assert drive.children(hidden) == []
