"""A day with nothing in the inbox is still a success, and says where it looked and which days do have rows."""

from pathlib import Path

from tests.pipeline.cli_process import content_pipeline


def test_an_empty_day_says_where_it_looked_and_which_days_the_inbox_has(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    (home / "inbox" / "links-2026-11-20.csv").write_text("url\nhttp://127.0.0.1:9/a\n", encoding="utf-8")
    out = content_pipeline(home, "run", "--date", "2026-11-15", CONTENT_PIPELINE_PROGRESS="off")
    assert out.returncode == 0, out.stderr
    assert "nothing arrived for 2026-11-15" in out.stdout
    assert f"the inbox {home / 'inbox'}: 1 CSV file(s)" in out.stdout
    assert f"no image folder ({home / 'inbox' / 'images'} does not exist)" in out.stdout
    assert "no Sheet (none configured)" in out.stdout
    assert "a YYYY-MM-DD in its file name" in out.stdout
    assert "The inbox has rows for: 2026-11-20." in out.stdout
