# benchtable.awk turns `go test -bench` output into a table, adding the
# rate (operations per second) that ns/op implies.
BEGIN { printf "%-44s %14s %16s %12s %12s\n", "benchmark", "ns/op", "ops/s", "B/op", "allocs/op" }
/^Benchmark/ {
	name = $1; ns = ""; bop = ""; aop = ""
	for (i = 3; i < NF; i++) {
		if ($(i+1) == "ns/op") ns = $i
		if ($(i+1) == "B/op") bop = $i
		if ($(i+1) == "allocs/op") aop = $i
	}
	rate = (ns > 0) ? sprintf("%.0f", 1e9 / ns) : "-"
	printf "%-44s %14s %16s %12s %12s\n", name, ns, rate, bop, aop
}
