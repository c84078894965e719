#!/usr/bin/python3
# Reads a Prometheus text exposition on stdin with the Prometheus project's
# own parser (Debian's python3-prometheus-client) and prints what it found
# as JSON: every family with its type and help, and every sample with its
# labels and value. A line the parser rejects fails with exit code 1.
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = []
    try:
        for family in text_string_to_metric_families(text):
            families.append({
                "name": family.name,
                "type": family.type,
                "help": family.documentation,
                "samples": [
                    {"name": s.name, "labels": dict(s.labels), "value": s.value, "timestamp": s.timestamp}
                    for s in family.samples
                ],
            })
    except Exception as e:  # the parser's ValueError, or anything it trips on
        print("parse error: %s" % e, file=sys.stderr)
        return 1
    json.dump({"families": families}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
