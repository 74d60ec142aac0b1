//! Geohash arithmetic for the geo commands (Redis `geohash.c` and `geohash_helper.c`).
//!
//! A position is stored as a sorted-set score: a 52-bit integer whose even bits (counting
//! from bit 0) hold the latitude cell and whose odd bits hold the longitude cell, 26 bits
//! each, over the Web-Mercator-safe ranges longitude [-180, 180] and latitude
//! [-85.05112878, 85.05112878]. Decoding yields the centre of the cell, clamped to those
//! ranges. Every floating-point step below follows the order of operations Redis uses, so
//! scores, decoded coordinates and distances are identical to the last bit.
//!
//! The search ([`areas_for_shape`]) covers the shape with the cell containing its centre
//! plus the eight neighbouring cells, at a precision estimated from the radius; neighbours
//! that lie wholly outside the shape's bounding box are dropped (zeroed).
//!
//! Invariants: `step` is in 1..=26 for search cells and 26 for stored scores; a zeroed cell
//! (`bits == 0 && step == 0`) stands for "do not search".

/// The longitude limits.
pub const LONG_MIN: f64 = -180.0;
/// The longitude limits.
pub const LONG_MAX: f64 = 180.0;
/// The latitude limits (the Web Mercator projection's).
pub const LAT_MIN: f64 = -85.051_128_78;
/// The latitude limits (the Web Mercator projection's).
pub const LAT_MAX: f64 = 85.051_128_78;
/// The precision of a stored score: 26 bits per coordinate.
pub const STEP_MAX: u8 = 26;

/// The Earth's quadratic mean radius (WGS-84), the radius of every distance.
const EARTH_RADIUS_M: f64 = 6_372_797.560_856;
/// Half the Mercator world's width, the limit of the step estimate.
const MERCATOR_MAX: f64 = 20_037_726.37;
/// Degrees to radians, as Redis's `D_R` (`M_PI / 180.0`).
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A range of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// The ranges positions are encoded over (longitude, latitude).
pub const WGS84: (Range, Range) = (
    Range {
        min: LONG_MIN,
        max: LONG_MAX,
    },
    Range {
        min: LAT_MIN,
        max: LAT_MAX,
    },
);

/// A cell: `step` bits per coordinate, interleaved into `bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    /// Interleaved bits: latitude in even positions, longitude in odd ones.
    pub bits: u64,
    /// Bits per coordinate.
    pub step: u8,
}

impl Cell {
    /// The "skip this cell" marker.
    pub const ZERO: Cell = Cell { bits: 0, step: 0 };

    /// True for [`Cell::ZERO`].
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's bits left-aligned to 52 bits: the lowest score inside it.
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }

    /// The score range `[min, max)` that holds exactly the positions in this cell.
    pub fn score_range(self) -> (f64, f64) {
        let next = Cell {
            bits: self.bits + 1,
            step: self.step,
        };
        (self.align52() as f64, next.align52() as f64)
    }
}

/// The area a cell covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Longitude span.
    pub lon: Range,
    /// Latitude span.
    pub lat: Range,
}

/// Spreads the 32 bits of `v` into the even bit positions of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bit positions of `v` into a u32 (the inverse of [`spread`]).
fn gather(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    u32::try_from(x).expect("invariant: masked to 32 bits")
}

/// Latitude bits in even positions, longitude bits in odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// C's `(uint32_t)` of a non-negative double below 2^32: truncation.
fn to_u32(v: f64) -> u32 {
    // Offsets are in [0, 2^step] with step <= 26; `as` truncates like C does there.
    v as u32
}

/// Encodes (`lon`, `lat`) at `step` bits per coordinate over `ranges` (Redis
/// `geohashEncode`); `None` when the position is outside the limits or the ranges.
pub fn encode(ranges: (Range, Range), lon: f64, lat: f64, step: u8) -> Option<Cell> {
    let (lon_r, lat_r) = ranges;
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(Cell {
        bits: interleave(to_u32(lat_offset), to_u32(lon_offset)),
        step,
    })
}

/// The stored score of a position (`GEOADD`): 26 steps over the WGS84 ranges, aligned.
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(WGS84, lon, lat, STEP_MAX).map(Cell::align52)
}

/// The area of `cell` over `ranges` (Redis `geohashDecode`).
pub fn decode(ranges: (Range, Range), cell: Cell) -> Area {
    let (lon_r, lat_r) = ranges;
    let lat_i = gather(cell.bits);
    let lon_i = gather(cell.bits >> 1);
    let scale = (1u64 << cell.step) as f64;
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    Area {
        lat: Range {
            min: lat_r.min + (f64::from(lat_i) / scale) * lat_scale,
            max: lat_r.min + (f64::from(lat_i.wrapping_add(1)) / scale) * lat_scale,
        },
        lon: Range {
            min: lon_r.min + (f64::from(lon_i) / scale) * lon_scale,
            max: lon_r.min + (f64::from(lon_i.wrapping_add(1)) / scale) * lon_scale,
        },
    }
}

/// C's `(uint64_t)` conversion of a score as x86-64 compilers emit it, so that a sorted
/// set holding non-geo scores decodes as Redis decodes it.
fn score_bits(score: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if score >= TWO63 {
        let rest = score - TWO63;
        if rest < TWO63 {
            (rest as u64) ^ (1 << 63)
        } else {
            0
        }
    } else if score > -TWO63 {
        // Truncation toward zero into a signed register, reinterpreted.
        (score as i64).cast_unsigned()
    } else {
        1 << 63
    }
}

/// The position (longitude, latitude) a stored score stands for: the centre of its cell,
/// clamped to the limits (Redis `decodeGeohash`).
pub fn position_of(score: f64) -> (f64, f64) {
    let area = decode(
        WGS84,
        Cell {
            bits: score_bits(score),
            step: STEP_MAX,
        },
    );
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The 11-character standard geohash of a position (GEOHASH): re-encoded over latitude
/// [-90, 90]; the eleventh character is always `0` (52 bits make ten and a half).
pub fn standard_geohash(lon: f64, lat: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let ranges = (
        Range {
            min: -180.0,
            max: 180.0,
        },
        Range {
            min: -90.0,
            max: 90.0,
        },
    );
    let bits = encode(ranges, lon, lat, STEP_MAX).map_or(0, |c| c.bits);
    let mut out = [b'0'; 11];
    for (i, ch) in out.iter_mut().enumerate().take(10) {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *ch = ALPHABET[usize::try_from(idx).expect("invariant: 5 bits")];
    }
    out
}

/// Great-circle distance in metres (haversine, Redis `geohashGetDistance`).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lat1r = lat1 * D_R;
    let lon1r = lon1 * D_R;
    let lat2r = lat2 * D_R;
    let lon2r = lon2 * D_R;
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// The shape of a search, sizes in the caller's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// BYRADIUS / GEORADIUS.
    Circle {
        /// Radius.
        radius: f64,
    },
    /// BYBOX.
    Box {
        /// East-west extent.
        width: f64,
        /// North-south extent.
        height: f64,
    },
}

/// A search shape and the factor from its unit to metres (Redis `GeoShape`). The sizes stay
/// in the caller's unit and are converted where Redis converts them, so every product is
/// rounded the same way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Circle or box.
    pub kind: Kind,
    /// Metres per unit.
    pub conversion: f64,
}

impl Shape {
    /// The distance from (`lon`, `lat`) to (`plon`, `plat`) in metres if the point is inside
    /// the shape centred there (Redis `geoWithinShape`).
    pub fn contains(self, lon: f64, lat: f64, plon: f64, plat: f64) -> Option<f64> {
        match self.kind {
            Kind::Circle { radius } => {
                let d = distance(lon, lat, plon, plat);
                (d <= radius * self.conversion).then_some(d)
            }
            Kind::Box { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                let lon_d = distance(plon, plat, lon, plat);
                let lat_d = distance(plon, plat, plon, lat);
                if lon_d > width_m / 2.0 || lat_d > height_m / 2.0 {
                    return None;
                }
                Some(distance(lon, lat, plon, plat))
            }
        }
    }

    /// Half-extents (north-south, east-west) of the bounding box, in metres.
    fn half_extents(self) -> (f64, f64) {
        let c = self.conversion;
        match self.kind {
            Kind::Circle { radius } => (c * radius, c * radius),
            Kind::Box { width, height } => (c * (height / 2.0), c * (width / 2.0)),
        }
    }

    /// The radius in metres of a circle that encloses the shape.
    fn enclosing_radius(self) -> f64 {
        let r = match self.kind {
            Kind::Circle { radius } => radius,
            Kind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }
}

/// The precision (bits per coordinate) of the nine search cells for a radius (Redis
/// `geohashEstimateStepsByRadius`): coarser towards the poles.
pub fn estimate_step(mut range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    u8::try_from(step.clamp(1, 26)).expect("invariant: clamped to 1..=26")
}

/// Longitude bits of an interleaved cell.
const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
/// Latitude bits of an interleaved cell.
const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// Adds or subtracts one to the coordinate held in the `own` bit positions of `cell`,
/// wrapping within the cell's precision: filling the other positions with ones lets the
/// carry (or borrow) run through them.
fn shift_cell(cell: Cell, own: u64, forward: bool) -> Cell {
    let other = !own;
    let shift = 64 - u32::from(cell.step) * 2;
    let fill = other >> shift;
    let part = cell.bits & own;
    let moved = if forward {
        part.wrapping_add(fill + 1)
    } else {
        (part | fill).wrapping_sub(fill + 1)
    };
    Cell {
        bits: (moved & (own >> shift)) | (cell.bits & other),
        step: cell.step,
    }
}

/// Moves `cell` one column east (`east`) or west, wrapping around the antimeridian.
fn move_lon(cell: Cell, east: bool) -> Cell {
    shift_cell(cell, ODD_BITS, east)
}

/// Moves `cell` one row north (`north`) or south, wrapping at the latitude limits.
fn move_lat(cell: Cell, north: bool) -> Cell {
    shift_cell(cell, EVEN_BITS, north)
}

/// The nine cells to search, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCells(pub [Cell; 9]);

/// The centre cell and its neighbours at `step` around (`lon`, `lat`).
fn neighbourhood(lon: f64, lat: f64, step: u8) -> ([Cell; 9], Area) {
    let c = encode(WGS84, lon, lat, step).unwrap_or(Cell { bits: 0, step });
    let n = move_lat(c, true);
    let s = move_lat(c, false);
    let e = move_lon(c, true);
    let w = move_lon(c, false);
    let cells = [
        c,
        n,
        s,
        e,
        w,
        move_lat(e, true),
        move_lat(w, true),
        move_lat(e, false),
        move_lat(w, false),
    ];
    (cells, decode(WGS84, c))
}

/// The bounding box (min lon, min lat, max lon, max lat) of `shape` centred at (`lon`,
/// `lat`): the east-west extent is taken at the edge nearer the pole (Redis
/// `geohashBoundingBox`).
fn bounding_box(shape: Shape, lon: f64, lat: f64) -> (f64, f64, f64, f64) {
    let (height, width) = shape.half_extents();
    let lat_delta = (height / EARTH_RADIUS_M) / D_R;
    let lon_delta_top = (width / EARTH_RADIUS_M / ((lat + lat_delta) * D_R).cos()) / D_R;
    let lon_delta_bottom = (width / EARTH_RADIUS_M / ((lat - lat_delta) * D_R).cos()) / D_R;
    let lon_delta = if lat < 0.0 {
        lon_delta_bottom
    } else {
        lon_delta_top
    };
    (
        lon - lon_delta,
        lat - lat_delta,
        lon + lon_delta,
        lat + lat_delta,
    )
}

/// The cells covering `shape` centred at (`lon`, `lat`) (Redis
/// `geohashCalculateAreasByShapeWGS84`).
pub fn areas_for_shape(shape: Shape, lon: f64, lat: f64) -> SearchCells {
    let (min_lon, min_lat, max_lon, max_lat) = bounding_box(shape, lon, lat);
    let mut step = estimate_step(shape.enclosing_radius(), lat);
    let (mut cells, mut area) = neighbourhood(lon, lat, step);
    let north = decode(WGS84, cells[1]);
    let south = decode(WGS84, cells[2]);
    let east = decode(WGS84, cells[3]);
    let west = decode(WGS84, cells[4]);
    let too_fine = north.lat.max < max_lat
        || south.lat.min > min_lat
        || east.lon.max < max_lon
        || west.lon.min > min_lon;
    if step > 1 && too_fine {
        step -= 1;
        (cells, area) = neighbourhood(lon, lat, step);
    }
    if step >= 2 {
        let mut drop = |idx: [usize; 3]| {
            for i in idx {
                cells[i] = Cell::ZERO;
            }
        };
        if area.lat.min < min_lat {
            drop([2, 8, 7]);
        }
        if area.lat.max > max_lat {
            drop([1, 5, 6]);
        }
        if area.lon.min < min_lon {
            drop([4, 8, 6]);
        }
        if area.lon.max > max_lon {
            drop([3, 7, 5]);
        }
    }
    SearchCells(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_redis() {
        // GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania, then ZSCORE.
        assert_eq!(score_of(13.361389, 38.115556), Some(3_479_099_956_230_698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3_479_447_370_796_909));
        // The upper limits set a 27th bit: the score leaves the 52-bit range, as in Redis.
        assert_eq!(score_of(180.0, 85.051_128_78), Some(13_510_798_882_111_488));
        assert_eq!(score_of(-180.0, -85.051_128_78), Some(0));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    #[test]
    fn decoding_gives_the_cell_centre_clamped() {
        let (lon, lat) = position_of(3_479_099_956_230_698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(position_of(13_510_798_882_111_488.0), (180.0, LAT_MAX));
    }

    #[test]
    fn standard_geohash_matches_redis() {
        assert_eq!(
            &standard_geohash(13.361389338970184, 38.1155563954963),
            b"sqc8b49rny0"
        );
        let (lon, lat) = position_of(3_479_447_370_796_909.0);
        assert_eq!(&standard_geohash(lon, lat), b"sqdtr74hyu0");
    }

    #[test]
    fn interleaving_round_trips() {
        for v in [0u32, 1, 0x3FF_FFFF, 0xFFFF_FFFF, 0x1234_5678] {
            assert_eq!(gather(spread(v)), v);
            let c = interleave(v, !v);
            assert_eq!(gather(c), v);
            assert_eq!(gather(c >> 1), !v);
        }
    }

    #[test]
    fn distance_matches_redis() {
        // GEODIST Sicily Palermo Catania -> 166274.1516
        let (a, b) = (
            position_of(3_479_099_956_230_698.0),
            position_of(3_479_447_370_796_909.0),
        );
        assert_eq!(
            format!("{:.4}", distance(a.0, a.1, b.0, b.1)),
            "166274.1516"
        );
    }

    #[test]
    fn neighbours_wrap_and_move_one_cell() {
        let c = encode(WGS84, 179.99, 0.0, 4).expect("valid");
        let e = move_lon(c, true);
        let area = decode(WGS84, e);
        assert_eq!(
            area.lon.min, -180.0,
            "east of the antimeridian column wraps"
        );
        assert_eq!(move_lon(e, false), c);
        let n = move_lat(c, true);
        assert_eq!(move_lat(n, false), c);
        assert!(decode(WGS84, n).lat.min >= decode(WGS84, c).lat.max);
    }

    #[test]
    fn step_estimate() {
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1.0, 0.0), 24);
        // 200 km doubles 7 times before reaching the Mercator half-width: 1 + 7 - 2.
        assert_eq!(estimate_step(200_000.0, 0.0), 6);
        assert_eq!(estimate_step(200_000.0, 70.0), 5);
        assert_eq!(estimate_step(200_000.0, -81.0), 4);
        assert_eq!(estimate_step(1e9, 0.0), 1);
    }

    #[test]
    fn search_cells_drop_useless_neighbours() {
        let circle = |radius| Shape {
            kind: Kind::Circle { radius },
            conversion: 1.0,
        };
        let cells = areas_for_shape(circle(10.0), 13.0, 38.0).0;
        assert!(!cells[0].is_zero());
        assert!(cells.iter().any(|c| c.is_zero()));
        let huge = areas_for_shape(circle(5e6), 13.0, 38.0).0;
        assert!(huge.iter().all(|c| !c.is_zero()));
    }

    #[test]
    fn odd_scores_decode_without_panicking() {
        for s in [
            -1.0,
            -1e300,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.5e19,
        ] {
            let (lon, lat) = position_of(s);
            assert!((LONG_MIN..=LONG_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat));
        }
    }
}
