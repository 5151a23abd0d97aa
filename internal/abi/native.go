package abi

// Native is the in-process Caller over this table, for tests and the CLI.
type Native struct{}

// Call runs a JSON op.
func (Native) Call(op string, in []byte) ([]byte, bool) { return Call(op, in) }

// CallRaw runs a raw op.
func (Native) CallRaw(op string, params, data []byte) ([]byte, []byte, bool) {
	return CallRaw(op, params, data)
}
