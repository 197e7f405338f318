"""HTTP plumbing both services share: errors, headers, health, metrics, app assembly."""
