// Package public is the static site and the data it ships: the default
// dataset and ground-truth table under data/, embedded so that the native
// binary and the tests find them without a working directory.
package public

import "embed"

// Data holds data/ (the default dataset's files and its README).
//
//go:embed data
var Data embed.FS
