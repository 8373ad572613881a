// Package layout has no code: its test keeps the architecture the README
// draws, by what each package may (transitively) import.
package layout
