module golang.org/x/sync
