#!/usr/bin/env bash
# The vendor's skin-analysis guide, step by step in curl, as an integrator copies it: reserve an
# upload, PUT the photo to the presigned URL with exactly its headers, create the task, poll
# until it ends, fetch one result file. JSON fields are read with python3 (the guide reads them
# by eye). Usage: curl_flow.sh BASE_URL API_KEY PHOTO '"a","b"' json|zip
set -euo pipefail
base=$1 key=$2 photo=$3 actions=$4 format=$5
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
size=$(stat -c %s "$photo")

reserve=$(curl -sS -X POST "$base/s2s/v2.0/file/skin-analysis" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d "{\"files\":[{\"content_type\":\"image/jpeg\",\"file_name\":\"photo.jpg\",\"file_size\":$size}]}")
echo "reserve: $reserve"
file_id=$(echo "$reserve" | field 'd["data"]["files"][0]["file_id"]')
put_url=$(echo "$reserve" | field 'd["data"]["files"][0]["requests"][0]["url"]')
curl -sS -f -X PUT "$put_url" -H "Content-Type: image/jpeg" -H "Content-Length: $size" \
  --data-binary "@$photo"

task=$(curl -sS -X POST "$base/s2s/v2.1/task/skin-analysis" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d "{\"src_file_id\":\"$file_id\",\"dst_actions\":[$actions],\"format\":\"$format\"}")
echo "task: $task"
task_id=$(echo "$task" | field 'd["data"]["task_id"]')

for _ in $(seq 1 60); do
  poll=$(curl -sS "$base/s2s/v2.1/task/skin-analysis/$task_id" -H "Authorization: Bearer $key")
  status=$(echo "$poll" | field 'd["data"]["task_status"]')
  [ "$status" = running ] || break
  sleep 1
done
echo "poll: $poll"
[ "$status" = success ]
if [ "$format" = zip ]; then
  url=$(echo "$poll" | field 'd["data"]["results"] if isinstance(d["data"]["results"], str) else d["data"]["results"]["url"]')
else
  url=$(echo "$poll" | field '[i for i in d["data"]["results"]["output"] if i.get("mask_urls")][0]["mask_urls"][0]')
fi
curl -sS -f -o /dev/null "$url"
