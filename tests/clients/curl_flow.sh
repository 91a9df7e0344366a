#!/usr/bin/env bash
# The vendor's skin-analysis guide, step by step in curl, as an integrator copies it: reserve an
# upload (step 2), PUT the photo to the presigned URL with exactly its headers (steps 3-4),
# create the task (step 5), poll until it ends (step 6), fetch one result file (step 7). JSON
# fields are read with jq. The key and host come from the environment:
#   YOUCAM_API_KEY=... [YOUCAM_BASE_URL=https://yce-api-01.makeupar.com] curl_flow.sh PHOTO a,b json|zip
set -euo pipefail
base=${YOUCAM_BASE_URL:-https://yce-api-01.makeupar.com}
key=$YOUCAM_API_KEY
photo=$1 actions=$2 format=$3
size=$(stat -c %s "$photo")

reserve=$(curl -sS -X POST "$base/s2s/v2.0/file/skin-analysis" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d "$(jq -nc --argjson size "$size" \
    '{files: [{content_type: "image/jpeg", file_name: "photo.jpg", file_size: $size}]}')")
echo "reserve: $reserve"
file_id=$(jq -r '.data.files[0].file_id' <<<"$reserve")
put_url=$(jq -r '.data.files[0].requests[0].url' <<<"$reserve")
put_type=$(jq -r '.data.files[0].requests[0].headers["Content-Type"]' <<<"$reserve")
put_length=$(jq -r '.data.files[0].requests[0].headers["Content-Length"]' <<<"$reserve")
curl -sS -f -X PUT "$put_url" -H "Content-Type: $put_type" -H "Content-Length: $put_length" \
  --data-binary "@$photo"

task=$(curl -sS -X POST "$base/s2s/v2.0/task/skin-analysis" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d "$(jq -nc --arg id "$file_id" --arg actions "$actions" --arg format "$format" \
    '{src_file_id: $id, dst_actions: ($actions | split(",")), format: $format}')")
echo "task: $task"
task_id=$(jq -r '.data.task_id' <<<"$task")

for _ in $(seq 1 60); do
  poll=$(curl -sS "$base/s2s/v2.0/task/skin-analysis/$task_id" \
    -H "Authorization: Bearer $key" -H "Content-Type: application/json")
  status=$(jq -r '.data.task_status' <<<"$poll")
  [ "$status" = running ] || break
  sleep 1
done
echo "poll: $poll"
[ "$status" = success ]
if [ "$format" = zip ]; then
  url=$(jq -r '.data.results | if type == "string" then . else .url end' <<<"$poll")
else
  url=$(jq -r '[.data.results.output[] | select(.mask_urls)][0].mask_urls[0]' <<<"$poll")
fi
curl -sS -f -o /dev/null "$url"
