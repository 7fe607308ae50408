#!/bin/sh
# A scheduled database backup: run a dump command, keep its output as a dated file, and
# delete dumps older than the retention (never the newest). docs/operations.md, "Backups".
#
#   deploy/backup.sh DIR KEEP_DAYS DUMP_COMMAND...
#   deploy/backup.sh /var/backups/warmline 14 pg_dump --format=custom warmline
#   deploy/backup.sh /srv/backups 14 docker compose -f /srv/warmline/deploy/compose.yaml \
#       exec -T postgres pg_dump --format=custom -U warmline warmline
#
# The dump is written beside its final name and renamed only once the command has succeeded,
# so a failed or interrupted dump never replaces or counts as a backup.
set -eu

if [ "$#" -lt 3 ]; then
  echo "usage: $0 DIR KEEP_DAYS DUMP_COMMAND..." >&2
  exit 2
fi
dir=$1 keep_days=$2
shift 2
case $keep_days in
  ''|*[!0-9]*) echo "KEEP_DAYS must be a whole number of days" >&2; exit 2 ;;
esac

umask 077  # the dump holds encrypted numbers and transcripts, and the pseudonyms in clear
mkdir -p "$dir"
name="warmline-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$dir/.$name.partial"
trap 'rm -f "$partial"' EXIT
"$@" > "$partial"
if [ ! -s "$partial" ]; then
  echo "the dump command wrote nothing" >&2
  exit 1
fi
mv "$partial" "$dir/$name"
echo "backup: $dir/$name ($(wc -c < "$dir/$name") bytes)"

# Retention: dumps older than KEEP_DAYS go, except the one just written.
find "$dir" -maxdepth 1 -type f -name 'warmline-*.dump' ! -name "$name" -mtime "+$((keep_days - 1))" -print -delete \
  | sed 's/^/backup: deleted /'
