"""Which records are images to file, what to file them under, the filing outcome as rows of `filed_images`, and
those rows as columns of the records (export)."""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import polars as pl

from content_pipeline.drive.links import file_id_of
from content_pipeline.export.image_filing import SOURCE_KEPT, FilingResult, ImageToFile
from content_pipeline.export.records import first_stop
from content_pipeline.moved_images import MovedImages
from content_pipeline.schemas import FILED_IMAGES_SCHEMA, INGEST_SCHEMA, frame
from content_pipeline.stages import Stage
from content_pipeline.status import ExportStatus, FilingStatus, IngestStatus

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
FILING_COLUMNS = {"filed_status": pl.String(), "filed_path": pl.String(), "filed_reason": pl.String()}  # in export
AS_FILING_COLUMNS = {"status": "filed_status", "path": "filed_path", "reason": "filed_reason"}  # filed_images -> export
# files from image folders always (failures too); images fetched from URLs once classified as images
WANTS_FILING = pl.col("source").is_in(["folder", "drive"]) | (pl.col("kind") == "image")
FILING_STAGES = (Stage.INGEST, Stage.FETCH, Stage.CLASSIFY)  # whose failure an image is filed with (not categorize)
FAILURE = "_first_failure"  # the column `image_items` adds for a moment


def filing_ids(records: pl.DataFrame) -> list[str]:
    """The record ids of the images to file."""
    return records.filter(WANTS_FILING)["record_id"].to_list()


def original_name(record: Mapping[str, Any]) -> str:
    """The name the image had where it came from: its file's, a Drive file's (its link ends in `view`), or the URL's."""
    if record.get("path"):
        return Path(str(record["path"])).name
    if record.get("source") == "drive" and record.get("input_url"):
        return PurePosixPath(str(record["input_url"])).name
    return PurePosixPath(unquote(urlsplit(str(record.get("final_url") or record.get("url") or "")).path)).name


def first_failure() -> pl.Expr:
    """The first stage that stopped a record, with its reason: "fetch http_error: HTTP 404"; null when none did."""

    def described(stage: str) -> pl.Expr:
        reason = pl.col(f"{stage}_reason").fill_null("")
        with_reason = pl.when(reason != "").then(pl.lit(": ") + reason).otherwise(pl.lit(""))
        return pl.concat_str(pl.lit(f"{stage} "), pl.col(f"{stage}_status"), with_reason)

    return first_stop(FILING_STAGES, described)


def image_items(
    records: pl.DataFrame, bodies: Mapping[str, bytes | None], moved: MovedImages | None = None
) -> list[ImageToFile]:
    """What to file for every record that wants filing; `bodies` holds the fetched bytes by record id.

    A file that move mode moved already is filed from where it went (`moved`), else from the fetched bytes."""
    wanted = records.filter(WANTS_FILING).with_columns(first_failure().alias(FAILURE)).to_dicts()
    gone = [str(r["path"]) for r in wanted if r.get("path") and not Path(r["path"]).is_file()]
    went_to = moved.find(gone) if moved is not None and gone else {}
    items = []
    for record in wanted:
        details = json.loads(record["details"]) if record.get("details") else {}
        source = Path(record["path"]) if record.get("path") else None
        # a Drive file reached twice (a shortcut, two folders) is filed once, by its first row: a duplicate is skipped
        drive_row = record.get("source") == "drive" and record.get("ingest_status") != IngestStatus.DUPLICATE
        in_drive = file_id_of(record.get("url")) if drive_row else None
        if source is not None and not source.is_file():
            went = went_to.get(str(source))
            source = went.filed_copy() if went is not None else None
            in_drive = went.drive_file_id() if went is not None else None
        items.append(
            ImageToFile(
                record_id=record["record_id"],
                category=details.get("visual_category") if record.get("classify_status") == "ok" else None,
                suggested_name=details.get("suggested_filename"),
                original_name=original_name(record),
                source_path=source,
                body=bodies.get(record["record_id"]),
                extension=EXTENSIONS.get(str(record.get("content_type") or "")),
                failure=record[FAILURE],
                ingest_row=ingest_row(record) if record.get("path") or in_drive else None,
                drive_file_id=in_drive,
            )
        )
    return items


def ingest_row(record: Mapping[str, Any]) -> dict[str, object]:
    """The record's ingest row, as ingest wrote it (what the ledger of moved images keeps)."""
    row = {name: record.get(name) for name in INGEST_SCHEMA}
    row["status"], row["reason"] = record.get("ingest_status"), record.get("ingest_reason")
    row["added_on"] = str(record["added_on"]) if record.get("added_on") is not None else None
    return row


def as_state(result: FilingResult) -> tuple[str, str | None, str]:
    """Where an image is now, the same on a rerun: filed now or filed by an earlier run are both `filed`."""
    if result.status in (FilingStatus.FILED, FilingStatus.ALREADY_FILED):
        kept = next((note for note in result.reason.split("; ") if note.startswith(SOURCE_KEPT)), "")
        return FilingStatus.FILED.value, result.path, kept
    return result.status, result.path, result.reason


def filed_rows(results: Sequence[FilingResult]) -> pl.DataFrame:
    """The `filed_images` rows of filing results, in their order: where each image is now (see `as_state`)."""
    rows: list[dict[str, object]] = []
    for result in results:
        status, path, reason = as_state(result)
        rows.append({"record_id": result.record_id, "status": status, "reason": reason, "path": path})
    return frame(rows, FILED_IMAGES_SCHEMA)


def with_filing(records: pl.DataFrame, filed: pl.DataFrame) -> pl.DataFrame:
    """The records with where each image is filed, from its `filed_images` row (null for records that are not
    images); an image that came through every stage but could not be filed is `export:filing_error`, with the
    filing's reason."""
    renamed = (pl.col(name).cast(pl.String()).alias(alias) for name, alias in AS_FILING_COLUMNS.items())
    as_columns = filed.select("record_id", *renamed)  # in FILING_COLUMNS' order
    joined = records.join(as_columns, on="record_id", how="left", maintain_order="left")
    not_filed = (pl.col("status") == "ok") & (pl.col("filed_status") == FilingStatus.ERROR.value)
    return joined.with_columns(
        status=pl.when(not_filed).then(pl.lit(f"export:{ExportStatus.FILING_ERROR}")).otherwise("status"),
        reason=pl.when(not_filed).then("filed_reason").otherwise("reason"),
    )
