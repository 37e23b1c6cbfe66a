use std::io;

use super::{
    cumulative_frequencies_symbol, read_alphabet, read_states, state_cumulative_frequency,
    state_renormalize, state_step,
};
use crate::{codecs::rans_nx16::ALPHABET_SIZE, io::reader::num::read_uint7};

const NORMALIZATION_BITS: u32 = 12;

pub fn decode(src: &mut &[u8], dst: &mut [u8], state_count: usize) -> io::Result<()> {
    let frequencies = read_frequencies(src)?;
    let cumulative_frequencies = build_cumulative_frequencies(&frequencies);

    let mut states = read_states(src, state_count)?;

    // seqstore: one table lookup per byte instead of a linear search over the alphabet, which
    // made this codec the costliest step of decoding a CRAM 3.1 (as htslib and the rANS 4x8
    // decoder do). Only worth building for more than a few bytes, and only exact when the
    // cumulative frequencies do not decrease (valid input); otherwise the search stays.
    let symbols = (dst.len() >= SYMBOLS_TABLE_MIN_LEN && cumulative_frequencies.is_sorted())
        .then(|| build_symbols_table(&cumulative_frequencies));

    for chunk in dst.chunks_mut(states.len()) {
        for (d, state) in chunk.iter_mut().zip(states.iter_mut()) {
            let f = state_cumulative_frequency(*state, NORMALIZATION_BITS);
            let sym = match &symbols {
                Some(symbols) => symbols[f as usize],
                None => cumulative_frequencies_symbol(&cumulative_frequencies, f),
            };

            *d = sym;

            let i = usize::from(sym);

            *state = state_step(
                *state,
                frequencies[i],
                cumulative_frequencies[i],
                NORMALIZATION_BITS,
            );

            *state = state_renormalize(*state, src)?;
        }
    }

    Ok(())
}

const SYMBOLS_TABLE_MIN_LEN: usize = 512;

// The symbol `cumulative_frequencies_symbol` returns for each frequency below 2^12, in one pass
// (the same walk, since the frequencies looked up only grow).
fn build_symbols_table(
    cumulative_frequencies: &[u32; ALPHABET_SIZE],
) -> [u8; 1 << NORMALIZATION_BITS] {
    let mut table = [0; 1 << NORMALIZATION_BITS];
    let mut sym = 0;

    for (f, entry) in (0u32..).zip(table.iter_mut()) {
        while sym < 255 && f >= cumulative_frequencies[sym + 1] {
            sym += 1;
        }

        *entry = sym as u8;
    }

    table
}

pub fn normalize_frequencies(frequencies: &mut [u32; ALPHABET_SIZE], bits: u32) {
    let mut sum: u32 = frequencies.iter().sum();

    if sum == 0 || sum == (1 << bits) {
        return;
    }

    let mut shift = 0;

    while sum < (1 << bits) {
        sum *= 2;
        shift += 1;
    }

    for f in frequencies {
        *f <<= shift;
    }
}

fn read_frequencies(src: &mut &[u8]) -> io::Result<[u32; ALPHABET_SIZE]> {
    let alphabet = read_alphabet(src)?;

    let mut frequencies = [0; ALPHABET_SIZE];

    for (i, frequency) in alphabet.iter().zip(&mut frequencies) {
        if *i {
            *frequency = read_uint7(src)?;
        }
    }

    normalize_frequencies(&mut frequencies, NORMALIZATION_BITS);

    Ok(frequencies)
}

pub(super) fn build_cumulative_frequencies(
    frequencies: &[u32; ALPHABET_SIZE],
) -> [u32; ALPHABET_SIZE] {
    let mut cumulative_frequencies = [0; ALPHABET_SIZE];

    let mut f = cumulative_frequencies[0];

    for (next_f, g) in cumulative_frequencies[1..].iter_mut().zip(frequencies) {
        *next_f = f + g;
        f = *next_f;
    }

    cumulative_frequencies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_build_symbols_table() {
        let mut frequencies = [0; ALPHABET_SIZE];
        frequencies[usize::from(b'A')] = 1000;
        frequencies[usize::from(b'C')] = 96;
        frequencies[usize::from(b'T')] = 2999;
        frequencies[255] = 1;
        let cumulative_frequencies = build_cumulative_frequencies(&frequencies);
        let table = build_symbols_table(&cumulative_frequencies);

        for (f, sym) in (0u32..).zip(table) {
            assert_eq!(sym, cumulative_frequencies_symbol(&cumulative_frequencies, f));
        }
    }
}
