package catalog

import (
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	cs := Defaults()
	if len(cs) != 57 {
		t.Fatalf("got %d categories, standards.md §2 lists 57", len(cs))
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if err := c.Check(); err != nil {
			t.Errorf("%s: %v", c.Code, err)
		}
		if seen[c.Code] {
			t.Errorf("duplicate %s", c.Code)
		}
		seen[c.Code] = true
		if _, ok := MajorClasses[c.Major()]; !ok {
			t.Errorf("%s: unknown major class %s", c.Code, c.Major())
		}
	}
}

func TestLimit(t *testing.T) {
	var e0102, e0401 Category
	for _, c := range Defaults() {
		switch c.Code {
		case "E0102":
			e0102 = c
		case "E0401":
			e0401 = c
		}
	}
	if d, clock := e0102.Limit(Normal); d != 8*time.Hour || clock {
		t.Errorf("E0102 normal = %v clock=%v, want 8h working", d, clock)
	}
	if d, clock := e0401.Limit(Urgent); d != time.Hour || !clock {
		t.Errorf("E0401 urgent = %v clock=%v, want 1h clock", d, clock)
	}
}

func TestCheckRejects(t *testing.T) {
	good := Category{Code: "E0701", Kind: Event, NameZh: "测试", NameEn: "test", UrgentHours: 2, NormalHours: 8, Duty: "sanitation"}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	bad := []func(c *Category){
		func(c *Category) { c.Code = "X0101" },
		func(c *Category) { c.Code = "C0701" }, // C code with kind event
		func(c *Category) { c.NameZh = " " },
		func(c *Category) { c.UrgentHours = 9 },
		func(c *Category) { c.NormalHours = 0 },
		func(c *Category) { c.Duty = "wizardry" },
	}
	for i, f := range bad {
		c := good
		f(&c)
		if err := c.Check(); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
	}
}
