"""The front table and its details: one learning-rate column, integers and tuples as such, arch ids
linking to details with configuration, curve and checkpoint URI."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reports import gather_report, load_experiments
from reports._html_tables import details, front_table
from tests.reports.results_factory import demo_rows, write_results


def _data(tmp_path: Path, checkpoint: bool = True):
    rows = demo_rows()
    for row in rows:
        row["config/train.lr"] = 0.0022422398645092177
        row["config/eft.widths[3]"] = 128.0
        row["config/mscan.depths"] = json.dumps([1, 1, 2, 1])
        row["hparams"] = json.dumps({"lr": 0.0022422398645092177})
        row["model_config"] = json.dumps({"encoder": {"name": "eft", "widths": [32, 64]}, "num_classes": 3})
        if checkpoint:
            row["checkpoint_uri"] = f"s3://bucket/{row['trial_id']}/ckpt" if row["kind"] == "trial" else ""
    return gather_report(load_experiments([write_results(tmp_path / "exp", rows)]))[0]


def _headers(html: str) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", html)


def test_front_table_has_one_learning_rate_and_readable_values(tmp_path: Path) -> None:
    html = front_table(_data(tmp_path))
    headers = _headers(html)
    assert [h for h in headers if "lr" in h] == ["train.lr"]
    assert headers.index("train.lr") < headers.index("depth")  # the learning rate before architecture columns
    assert ">128<" in html and "128.0" not in html and ">(1, 1, 2, 1)<" in html and "0.002242" in html
    assert 'data-value="Infinity"' in html  # crowding of a front extreme sorts as the largest


def test_arch_ids_link_to_details_with_config_curve_and_checkpoint(tmp_path: Path) -> None:
    data = _data(tmp_path)
    links = re.findall(r'<a href="#(detail-\d+)">([^<]+)</a>', front_table(data))
    blocks = details(data)
    ids = re.findall(r'<details id="(detail-\d+)" data-row="([^"]+)"', blocks)
    assert [link for link, _ in links] == [i for i, _ in ids] and len(ids) == 3
    t1 = blocks[blocks.index('data-row="t1"'):].split("</details>")[0]
    assert "s3://bucket/t1/ckpt" in t1 and "1: 0.3000, 2: 0.6000" in t1 and "train.lr" in t1
    assert 'encoder: {&quot;name&quot;: &quot;eft&quot;, &quot;widths&quot;: [32, 64]}\nnum_classes: 3' in t1
    isr = blocks[blocks.index('data-row="t1/isr=2,2,1,1/2,2,2"'):].split("</details>")[0]
    assert "no checkpoint recorded" in isr and "of the base model" in isr


def test_without_checkpoint_column_details_say_so(tmp_path: Path) -> None:
    assert "no checkpoint recorded" in details(_data(tmp_path, checkpoint=False))
