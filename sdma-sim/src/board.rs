pub struct Board; pub trait SimHandler {}
