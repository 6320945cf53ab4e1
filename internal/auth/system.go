package auth

// System is the role of a client system (an Open311 client such as
// FixMyStreet, a hotline bridge) that reports on behalf of citizens. It is
// not in Roles, so no user can be given it (User.Check refuses it): actors
// with this role are built by the door that authenticated the system, have
// no user id (their reports have no reporter user) and may take no action
// of the loop beyond reporting inside their scope.
const System Role = "system"

// SystemActor is the actor of a client system named name, limited to the
// territory scope ("" for the whole installation). Its name is what the
// ledger records as the actor of the steps it takes.
func SystemActor(name, scope string) Actor {
	return Actor{Username: name, Role: System, Scope: scope}
}
