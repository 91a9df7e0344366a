"""A client an integrator writes from the vendor's published examples (the skin-analysis guide's
steps 2-7 and its format_json_success / score_info.json samples) with nothing but `requests`:
the documented paths and fields, a fixed 1 s poll, no knowledge of SkinScope. The key and host
come from the environment, as an integrator keeps them:

    YOUCAM_API_KEY=... [YOUCAM_BASE_URL=https://yce-api-01.makeupar.com] \\
        plain_requests.py PHOTO a,b,c json|zip

It prints a one-line JSON summary."""

import io
import json
import os
import sys
import time
import zipfile

import requests

base = os.environ.get("YOUCAM_BASE_URL", "https://yce-api-01.makeupar.com")
headers = {"Authorization": f"Bearer {os.environ['YOUCAM_API_KEY']}"}
photo_path, actions, result_format = sys.argv[1:4]
photo = open(photo_path, "rb").read()

files = requests.post(
    f"{base}/s2s/v2.0/file",
    json={
        "files": [{"content_type": "image/jpeg", "file_name": "me.jpg", "file_size": len(photo)}]
    },
    headers=headers,
    timeout=30,
).json()["data"]["files"][0]
upload = files["requests"][0]
requests.request(
    upload["method"], upload["url"], data=photo, headers=upload["headers"], timeout=30
).raise_for_status()

task_id = requests.post(
    f"{base}/s2s/v2.1/task/skin-analysis",
    json={
        "src_file_id": files["file_id"],
        "dst_actions": actions.split(","),
        "format": result_format,
    },
    headers=headers,
    timeout=30,
).json()["data"]["task_id"]

for _ in range(60):
    data = requests.get(
        f"{base}/s2s/v2.1/task/skin-analysis/{task_id}", headers=headers, timeout=30
    ).json()["data"]
    if data["task_status"] != "running":
        break
    time.sleep(1)

scores = 0
if data["task_status"] == "success":
    if result_format == "zip":
        results = data["results"]
        url = results if isinstance(results, str) else results["url"]
        archive = zipfile.ZipFile(io.BytesIO(requests.get(url, timeout=30).content))
        name = next(n for n in archive.namelist() if n.endswith("score_info.json"))
        info = json.loads(archive.read(name))
        # A concern is flat ({"raw_score", ...}) or nested by region, as the HD sample shows.
        for key, value in info.items():
            if isinstance(value, dict) and key != "all":
                nested = [v for v in value.values() if isinstance(v, dict)]
                scores += "raw_score" in value or any("raw_score" in v for v in nested)
    else:
        # One item per concern and region: count the concerns.
        scores = len({item["type"] for item in data["results"]["output"] if "ui_score" in item})
print(json.dumps({"task_status": data["task_status"], "scores": scores}))
