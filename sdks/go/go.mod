module github.com/aspora/sdk-go

go 1.19
