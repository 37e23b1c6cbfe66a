mod itf8;
mod ltf8;

pub use self::{
    itf8::{read_itf8, read_itf8_as},
    ltf8::{read_ltf8, read_ltf8_as},
};
