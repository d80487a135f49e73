package eval

// machine is the state of one run.
type machine struct {
	limits Limits
	fuel   int64 // steps left (counts down); unlimited runs start at MaxInt64
	used   int64 // memory accounted so far
	print  func(string)
	debug  func(string)
}

func (m *machine) charge(n int64, pos Pos) error {
	m.fuel -= n
	if m.fuel < 0 {
		return Errorf(ErrorTooManyOperations, pos, "Too many operations")
	}
	return nil
}

func (m *machine) alloc(n int64, pos Pos) error {
	m.used += n
	if m.limits.MaxMemory > 0 && m.used > m.limits.MaxMemory {
		return Errorf(ErrorMemoryLimit, pos, "Out of memory: the script allocated more than %d bytes", m.limits.MaxMemory)
	}
	return nil
}

func (m *machine) checkLen(k Kind, n int, pos Pos) error {
	var max int
	var what string
	switch k {
	case StringKind:
		max, what = m.limits.MaxStringLen, "Length of string"
	case ArrayKind, BlobKind:
		max, what = m.limits.MaxArrayLen, "Size of array"
	case MapKind:
		max, what = m.limits.MaxMapLen, "Size of object map"
	}
	if max > 0 && n > max {
		return Errorf(ErrorDataTooLarge, pos, "%s too large", what)
	}
	return nil
}

func (m *machine) callFnPtr(fn Value, this *Value, args, extra []Value, pos Pos) (Value, error) {
	return Value{}, Errorf(ErrorFunctionNotFound, pos, "function pointers are not callable yet")
}

func (m *machine) fnArities(fn Value) []int { return nil }

type funcDef struct{}
