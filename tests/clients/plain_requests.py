"""A client an integrator writes from the vendor's examples with nothing but `requests`: the
documented paths and fields, a fixed 1 s poll, no knowledge of SkinScope. It prints a one-line
JSON summary. Usage: plain_requests.py BASE_URL API_KEY PHOTO a,b,c json|zip"""

import io
import json
import sys
import time
import zipfile

import requests

base, key, photo_path, actions, result_format = sys.argv[1:6]
headers = {"Authorization": f"Bearer {key}"}
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
        scores = sum(1 for k, v in info.items() if isinstance(v, dict) and k not in ("all",))
    else:
        scores = sum(1 for item in data["results"]["output"] if "ui_score" in item)
print(json.dumps({"task_status": data["task_status"], "scores": scores}))
