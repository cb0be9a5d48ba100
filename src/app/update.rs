pub fn noop(){}
