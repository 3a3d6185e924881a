"""The gateway's rules, free of I/O: route table, authorization, rate-limit arithmetic, principals."""
