module taskbench/goroutine

go 1.19
