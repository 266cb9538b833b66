// keyhaven-ops: the ops CLI (releases, advisories, maintenance). Built by issue #5.
