//go:build wasip1

package main

//go:generate go run ./gen exports_gen.go
