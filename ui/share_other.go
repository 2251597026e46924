//go:build !(js && wasm)

package ui

// Outside the browser the share API is not called: the tests drive
// ShareFetched, Published and ShareDeleted with answers of their own.

func (*race) loadShare(*Root, string)                 {}
func (*race) publish(*Root, string)                   {}
func (*race) deleteShare(*Root, string, string, bool) {}
func (*race) probeShares(*Root)                       {}
func (*race) loadTrainer()                            {}
