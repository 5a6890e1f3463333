//! Primary and complementary cell suppression of one aggregate table (the rule is
//! described in [`super::aggregates`]), apart from reading responses so it can be tested
//! on made-up tables.

use std::collections::VecDeque;

/// Which cells of a table to hide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub cells: Vec<Vec<bool>>,
    /// No safe pattern exists: everything, column totals too, is hidden.
    pub whole_table: bool,
}

/// Primary and complementary suppression of a table (rows: municipalities, columns:
/// codes) whose row sums and column sums are published.
pub fn suppress(cells: &[Vec<u64>], k: u64) -> Suppression {
    let rows = cells.len();
    let columns = cells.first().map_or(0, Vec::len);
    let mut hidden: Vec<Vec<bool>> = cells
        .iter()
        .map(|row| {
            let n: u64 = row.iter().sum();
            row.iter()
                .map(|x| (*x > 0 && *x < k) || (n > 0 && n < k))
                .collect()
        })
        .collect();
    while let Some((i, j)) = first_bridge(&hidden) {
        match cheapest_cycle(cells, &hidden, i, j) {
            Some(path) => {
                for (a, b) in path {
                    hidden[a][b] = true;
                }
            }
            None => {
                return Suppression {
                    cells: vec![vec![true; columns]; rows],
                    whole_table: true,
                };
            }
        }
    }
    Suppression {
        cells: hidden,
        whole_table: false,
    }
}

/// Nodes: rows 0..m, then columns m..m+c. Whether `from` reaches `to` over hidden cells
/// other than (skip).
fn connected(hidden: &[Vec<bool>], skip: (usize, usize), from: usize, to: usize) -> bool {
    let m = hidden.len();
    let c = hidden.first().map_or(0, Vec::len);
    let mut seen = vec![false; m + c];
    let mut queue = VecDeque::from([from]);
    seen[from] = true;
    while let Some(node) = queue.pop_front() {
        if node == to {
            return true;
        }
        let neighbours: Vec<usize> = if node < m {
            (0..c)
                .filter(|j| hidden[node][*j] && (node, *j) != skip)
                .map(|j| m + j)
                .collect()
        } else {
            let j = node - m;
            (0..m)
                .filter(|i| hidden[*i][j] && (*i, j) != skip)
                .collect()
        };
        for next in neighbours {
            if !seen[next] {
                seen[next] = true;
                queue.push_back(next);
            }
        }
    }
    false
}

/// A hidden cell that no cycle of hidden cells passes through (its value would follow
/// from the sums), in row-major order.
fn first_bridge(hidden: &[Vec<bool>]) -> Option<(usize, usize)> {
    let m = hidden.len();
    (0..m)
        .flat_map(|i| (0..hidden[i].len()).map(move |j| (i, j)))
        .find(|&(i, j)| hidden[i][j] && !connected(hidden, (i, j), i, m + j))
}

/// The cheapest set of cells (hidden ones cost nothing, others their value plus one) that
/// with (i, j) closes a cycle: a shortest path from column j to row i not using (i, j).
fn cheapest_cycle(
    cells: &[Vec<u64>],
    hidden: &[Vec<bool>],
    i: usize,
    j: usize,
) -> Option<Vec<(usize, usize)>> {
    let m = cells.len();
    let c = cells.first().map_or(0, Vec::len);
    // A zero is never hidden as a partner: a column or row whose published total is 0
    // tells that every hidden cell in it is 0, and the partner would protect nothing.
    let cost = |a: usize, b: usize| match (hidden[a][b], cells[a][b]) {
        (true, _) => Some(0),
        (false, 0) => None,
        (false, value) => Some(value + 1),
    };
    let (start, goal) = (m + j, i);
    let mut best = vec![u64::MAX; m + c];
    let mut previous: Vec<Option<usize>> = vec![None; m + c];
    let mut done = vec![false; m + c];
    best[start] = 0;
    // The graph has at most a few dozen nodes: a simple O(V²) Dijkstra.
    loop {
        let node = (0..m + c)
            .filter(|n| !done[*n] && best[*n] != u64::MAX)
            .min_by_key(|n| (best[*n], *n))?;
        if node == goal {
            break;
        }
        done[node] = true;
        let edges: Vec<(usize, u64)> = if node < m {
            (0..c)
                .filter(|b| (node, *b) != (i, j))
                .filter_map(|b| Some((m + b, cost(node, b)?)))
                .collect()
        } else {
            let b = node - m;
            (0..m)
                .filter(|a| (*a, b) != (i, j))
                .filter_map(|a| Some((a, cost(a, b)?)))
                .collect()
        };
        for (next, weight) in edges {
            let through = best[node].saturating_add(weight);
            if through < best[next] {
                best[next] = through;
                previous[next] = Some(node);
            }
        }
    }
    let mut path = Vec::new();
    let mut node = goal;
    while let Some(before) = previous[node] {
        let (row, column) = if node < m {
            (node, before - m)
        } else {
            (before, node - m)
        };
        path.push((row, column));
        node = before;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the value of hidden cell `target` follows from the published cells, row
    /// sums and column sums: linear algebra, independent of the graph argument above.
    /// The cell is determined exactly when its unit vector lies in the span of the
    /// constraints' rows (over the hidden cells).
    fn determined(hidden: &[Vec<bool>], totals_published: bool, target: (usize, usize)) -> bool {
        let m = hidden.len();
        let c = hidden[0].len();
        let unknowns: Vec<(usize, usize)> = (0..m)
            .flat_map(|i| (0..c).map(move |j| (i, j)))
            .filter(|&(i, j)| hidden[i][j])
            .collect();
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for i in 0..m {
            rows.push(
                unknowns
                    .iter()
                    .map(|&(a, _)| f64::from(u8::from(a == i)))
                    .collect(),
            );
        }
        if totals_published {
            for j in 0..c {
                rows.push(
                    unknowns
                        .iter()
                        .map(|&(_, b)| f64::from(u8::from(b == j)))
                        .collect(),
                );
            }
        }
        let unit: Vec<f64> = unknowns
            .iter()
            .map(|u| f64::from(u8::from(*u == target)))
            .collect();
        let with_unit = {
            let mut r = rows.clone();
            r.push(unit);
            r
        };
        rank(rows) == rank(with_unit)
    }

    fn rank(mut rows: Vec<Vec<f64>>) -> usize {
        let width = rows.first().map_or(0, Vec::len);
        let mut rank = 0;
        for column in 0..width {
            let Some(pivot) = (rank..rows.len()).find(|r| rows[*r][column].abs() > 1e-9) else {
                continue;
            };
            rows.swap(rank, pivot);
            let lead = rows[rank].clone();
            for (r, row) in rows.iter_mut().enumerate() {
                if r != rank && row[column].abs() > 1e-9 {
                    let factor = row[column] / lead[column];
                    for (x, l) in row.iter_mut().zip(&lead) {
                        *x -= factor * l;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// Whether another table of non-negative counts agrees with everything published but
    /// differs in `target`: a cycle of hidden cells through it along which adding +1, -1,
    /// +1 … (or -1, +1 …) keeps every cell at 0 or more.
    fn alternative_exists(
        cells: &[Vec<u64>],
        hidden: &[Vec<bool>],
        target: (usize, usize),
    ) -> bool {
        fn search(
            cells: &[Vec<u64>],
            hidden: &[Vec<bool>],
            target: (usize, usize),
            at_column: Option<usize>,
            at_row: Option<usize>,
            minus: bool,
            used: &mut Vec<(usize, usize)>,
        ) -> bool {
            let (m, c) = (cells.len(), cells[0].len());
            let candidates: Vec<(usize, usize)> = match (at_column, at_row) {
                (Some(j), _) => (0..m).map(|i| (i, j)).collect(),
                (_, Some(i)) => (0..c).map(|j| (i, j)).collect(),
                _ => Vec::new(),
            };
            for cell in candidates {
                if cell == target
                    || !hidden[cell.0][cell.1]
                    || used.contains(&cell)
                    || (minus && cells[cell.0][cell.1] == 0)
                {
                    continue;
                }
                if at_column.is_some() && cell.0 == target.0 {
                    return true;
                }
                used.push(cell);
                let found = if at_column.is_some() {
                    search(cells, hidden, target, None, Some(cell.0), !minus, used)
                } else {
                    search(cells, hidden, target, Some(cell.1), None, !minus, used)
                };
                used.pop();
                if found {
                    return true;
                }
            }
            false
        }
        // Target +1 (its partners from columns -1), or target -1 if it is not 0.
        search(
            cells,
            hidden,
            target,
            Some(target.1),
            None,
            true,
            &mut Vec::new(),
        ) || (cells[target.0][target.1] > 0
            && search(
                cells,
                hidden,
                target,
                Some(target.1),
                None,
                false,
                &mut Vec::new(),
            ))
    }

    fn assert_safe(cells: &[Vec<u64>], k: u64) -> Suppression {
        let s = suppress(cells, k);
        for (i, row) in cells.iter().enumerate() {
            let n: u64 = row.iter().sum();
            for (j, x) in row.iter().enumerate() {
                if (*x > 0 && *x < k) || (n > 0 && n < k) {
                    assert!(s.cells[i][j], "cell {i},{j} ({x}) under k is shown");
                }
                if s.cells[i][j] {
                    assert!(
                        !determined(&s.cells, !s.whole_table, (i, j)),
                        "hidden cell {i},{j} of {cells:?} can be computed: {:?}",
                        s.cells
                    );
                    if !s.whole_table {
                        assert!(
                            alternative_exists(cells, &s.cells, (i, j)),
                            "hidden cell {i},{j} of {cells:?} follows from non-negativity: {:?}",
                            s.cells
                        );
                    }
                }
            }
        }
        s
    }

    #[test]
    fn a_single_small_cell_gets_three_partners_so_it_cannot_be_computed() {
        let cells = vec![vec![20, 3, 15], vec![30, 25, 12], vec![18, 40, 9]];
        let s = assert_safe(&cells, 7);
        let hidden: usize = s.cells.iter().flatten().filter(|h| **h).count();
        assert_eq!(hidden, 4, "{:?}", s.cells);
        assert!(!s.whole_table);
    }

    #[test]
    fn a_table_without_small_cells_is_shown_whole() {
        let s = assert_safe(&[vec![10, 20], vec![30, 7]], 7);
        assert!(s.cells.iter().flatten().all(|h| !h));
    }

    #[test]
    fn a_municipality_under_k_has_its_whole_row_hidden() {
        let cells = vec![vec![2, 3, 0], vec![30, 25, 12], vec![18, 40, 9]];
        let s = assert_safe(&cells, 7);
        assert!(s.cells[0].iter().all(|h| *h));
    }

    #[test]
    fn one_municipality_alone_is_hidden_whole() {
        let s = assert_safe(&[vec![20, 3, 15]], 7);
        assert!(s.whole_table);
    }

    #[test]
    fn no_hidden_cell_can_be_computed_in_many_made_up_tables() {
        let mut x: u64 = 99;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        for _ in 0..300 {
            let m = 1 + next() as usize % 6;
            let c = 2 + next() as usize % 5;
            let cells: Vec<Vec<u64>> = (0..m)
                .map(|_| {
                    (0..c)
                        .map(|_| {
                            if next() % 3 == 0 {
                                next() % 7
                            } else {
                                next() % 60
                            }
                        })
                        .collect()
                })
                .collect();
            assert_safe(&cells, 5);
        }
    }
}
