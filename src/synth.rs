//! Ground-truth scene generator (being written).
