"""The day's export files in Drive, through the real client (google-auth's AuthorizedSession and its token flow)
against the local Drive server on 127.0.0.1."""

from pathlib import Path

import pytest

from content_pipeline.drive.connect import connect
from content_pipeline.drive.errors import DriveError, DriveUnavailableError
from content_pipeline.drive.export import upload_day
from content_pipeline.drive.settings import DriveSettings, folder_id
from tests.core.drive.conftest import FAST, client_of
from tests.fakes.drive_server import FakeDriveServer, parse_query
from tests.fakes.sheets_server import DEFAULT_CLIENT_EMAIL, service_account_info

DAY = "2026-12-01"


def day_files(tmp_path: Path, tag: str = "first") -> dict[str, Path]:
    files = {
        "records.csv": f"record_id,url\n1,https://example.org/{tag}\n".encode(),
        "records.parquet": b"PAR1" + tag.encode() * 100 + b"PAR1",
        "report.html": f"<html><body>{tag}</body></html>".encode(),
    }
    paths = {}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths[name] = tmp_path / name
    return paths


def day_folder(server: FakeDriveServer, root: str) -> str:
    [folder] = [f for f in server.children(root) if f.name == DAY]
    return folder.id


def test_the_three_files_land_in_the_day_folder_with_their_bytes_and_links(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("exports")
    files = day_files(tmp_path)
    uploads = upload_day(client_of(server), root, DAY, files)
    stored = {f.name: f for f in server.children(day_folder(server, root))}
    assert sorted(stored) == sorted(files)
    for name, path in files.items():
        assert stored[name].data == path.read_bytes()
    assert {u.name: u.link for u in uploads} == {
        name: f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk" for name, f in stored.items()
    }
    assert all(r.headers.get("authorization", "").startswith("Bearer ya29.fake-") for r in server.drive_requests)
    assert {r.param("uploadType") for r in server.drive_requests if r.path.startswith("/upload/")} == {"multipart"}


def test_a_rerun_replaces_each_file_and_finds_the_day_folder_again(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    client = client_of(server)
    first = upload_day(client, root, DAY, day_files(tmp_path, "first"))
    second_dir = tmp_path / "again"
    second_dir.mkdir()
    second = upload_day(client, root, DAY, day_files(second_dir, "second"))
    assert [f.name for f in server.children(root)] == [DAY]  # one day folder
    stored = server.children(day_folder(server, root))
    assert sorted(f.name for f in stored) == ["records.csv", "records.parquet", "report.html"]  # no second copy
    assert all(b"second" in f.data and b"first" not in f.data for f in stored)
    assert [u.file_id for u in first] == [u.file_id for u in second]  # files.update of the same ids
    assert any(r.method == "PATCH" for r in server.drive_requests)


def test_a_large_file_goes_up_in_resumable_chunks(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    settings = DriveSettings(backoff_initial_s=0.0, resumable_above_bytes=1024 * 1024, chunk_bytes=256 * 1024)
    big = tmp_path / "records.parquet"
    big.write_bytes(bytes(range(256)) * 5000)  # 1.28 MB: above the threshold, five chunks
    upload_day(client_of(server, settings), root, DAY, {"records.parquet": big})
    [stored] = server.children(day_folder(server, root))
    assert stored.data == big.read_bytes()
    puts = [r for r in server.drive_requests if r.method == "PUT"]
    assert len(puts) == 5 and [r.status for r in puts] == [308, 308, 308, 308, 200]
    started = [r for r in server.drive_requests if r.path.startswith("/upload/") and r.method == "POST"]
    assert [r.param("uploadType") for r in started] == ["resumable"]


def test_a_chunk_whose_answer_is_lost_is_not_sent_twice(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    settings = DriveSettings(backoff_initial_s=0.0, resumable_above_bytes=1000, chunk_bytes=256 * 1024)
    big = tmp_path / "records.parquet"
    big.write_bytes(bytes(range(256)) * 3000)  # 768,000 bytes: three chunks
    client = client_of(server, settings)
    client.sleep = lambda _s: None
    server.lost_chunk_answers = 1  # the first chunk arrives, its answer does not
    upload_day(client, root, DAY, {"records.parquet": big})
    [stored] = server.children(day_folder(server, root))
    assert stored.data == big.read_bytes()
    spans = [r.headers["content-range"] for r in server.drive_requests if r.method == "PUT"]
    assert spans[:3] == ["bytes 0-262143/768000", "bytes */768000", "bytes 262144-524287/768000"]


def test_a_large_file_replaces_the_previous_upload_through_a_resumable_update(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("exports")
    settings = DriveSettings(backoff_initial_s=0.0, resumable_above_bytes=1000, chunk_bytes=256 * 1024)
    big = tmp_path / "records.parquet"
    big.write_bytes(b"a" * 300_000)
    client = client_of(server, settings)
    upload_day(client, root, DAY, {"records.parquet": big})
    big.write_bytes(b"b" * 400_000)
    upload_day(client, root, DAY, {"records.parquet": big})
    [stored] = server.children(day_folder(server, root))
    assert stored.data == b"b" * 400_000


def test_a_rate_limit_is_retried_then_the_upload_succeeds(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    client = client_of(server)
    waits: list[float] = []
    client.sleep = waits.append
    server.fail_drive_next(2, status=403, reason="rateLimitExceeded")
    upload_day(client, root, DAY, day_files(tmp_path))
    assert len(server.children(day_folder(server, root))) == 3
    assert [r.status for r in server.drive_requests[:3]] == [403, 403, 200] and len(waits) == 2


def test_a_lasting_outage_gives_up_after_the_bounded_attempts(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    client = client_of(server, DriveSettings(max_attempts=3, backoff_initial_s=0.0))
    client.sleep = lambda _s: None
    server.fail_drive_next(10, status=503, reason="backendError")
    with pytest.raises(DriveUnavailableError, match="gave up after 3 attempts"):
        upload_day(client, root, DAY, day_files(tmp_path))
    assert len(server.drive_requests) == 3


def test_a_403_that_is_not_a_rate_limit_is_not_retried(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    client = client_of(server)
    server.fail_drive_next(1, status=403, reason="insufficientFilePermissions")  # shared as Viewer, say
    with pytest.raises(DriveError, match=f"insufficientFilePermissions\\): share it with {DEFAULT_CLIENT_EMAIL}"):
        upload_day(client, root, DAY, day_files(tmp_path))
    assert [r.status for r in server.drive_requests] == [403]  # not retried


def test_a_folder_not_shared_with_the_account_is_one_line_naming_its_email(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    hidden = server.add_folder("private", shared=False)
    with pytest.raises(DriveError) as raised:
        upload_day(client_of(server), hidden, DAY, day_files(tmp_path))
    message = str(raised.value)
    assert "\n" not in message and DEFAULT_CLIENT_EMAIL in message and hidden in message
    assert server.children(hidden) == []  # nothing was written


def test_a_missing_folder_is_the_same_clear_line(server: FakeDriveServer, tmp_path: Path) -> None:
    with pytest.raises(DriveError, match=f"not shared with the service account: share it with {DEFAULT_CLIENT_EMAIL}"):
        upload_day(client_of(server), "nosuchfolder", DAY, day_files(tmp_path))


def test_a_trashed_day_folder_or_file_is_not_reused(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    old_day = server.add_folder(DAY, parent=root)
    server.files[old_day].trashed = True
    upload_day(client_of(server), root, DAY, day_files(tmp_path))
    [live] = server.children(root)
    assert live.id != old_day and len(server.children(live.id)) == 3


def test_listing_follows_every_page(server: FakeDriveServer) -> None:
    root = server.add_folder("exports")
    for n in range(7):
        server.add_file(f"f{n}", root)
    server.add_file("gone", root, trashed=True)
    server.max_page_size = 3
    names = [f["name"] for f in client_of(server).list(f"'{root}' in parents and trashed = false")]
    assert sorted(names) == [f"f{n}" for n in range(7)]
    assert sum(1 for r in server.drive_requests if r.path == "/drive/v3/files") == 3


def test_a_downloaded_file_has_the_uploaded_bytes(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("exports")
    client = client_of(server)
    uploads = upload_day(client, root, DAY, day_files(tmp_path))
    assert client.download(uploads[0].file_id) == (tmp_path / uploads[0].name).read_bytes()


def test_a_name_with_a_quote_is_found_again(server: FakeDriveServer) -> None:
    root = server.add_folder("exports")
    client = client_of(server)
    made = client.ensure_folder(root, "Bob's day")
    assert client.ensure_folder(root, "Bob's day")["id"] == made["id"]
    assert parse_query("name = 'Bob\\'s day' and trashed = false") == [("name", "Bob's day"), ("trashed", "false")]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1AbC_d-9", "1AbC_d-9"),
        ("https://drive.google.com/drive/folders/1AbC_d-9?usp=sharing", "1AbC_d-9"),
        ("https://drive.google.com/drive/u/0/folders/1AbC_d-9", "1AbC_d-9"),
        ("https://drive.google.com/open?id=1AbC_d-9", "1AbC_d-9"),
    ],
)
def test_a_folder_is_given_by_id_or_link(given: str, expected: str) -> None:
    assert folder_id(given) == expected


def test_a_link_that_is_not_a_folder_is_refused() -> None:
    with pytest.raises(DriveError, match="not a Drive folder link"):
        folder_id("https://example.org/nothing")


def test_an_endpoint_that_is_not_an_origin_is_refused_in_drive_terms(server: FakeDriveServer) -> None:
    with pytest.raises(DriveError, match="the Drive endpoint 'ftp://x' is not an http"):
        connect(FAST, service_account_info(server), endpoint="ftp://x")


def test_a_key_the_token_endpoint_does_not_know_is_refused_before_any_drive_call(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("exports")
    service_account_info(server)  # registers the real key: Drive calls need a token from now on
    stranger = service_account_info(server, client_email="someone@else.iam.gserviceaccount.com", register=False)
    client = connect(FAST, stranger, endpoint=server.base_url)
    with pytest.raises(DriveError, match=r"refused a token for the service account someone@else.+account not found"):
        upload_day(client, root, DAY, day_files(tmp_path))
    assert server.drive_requests == []
