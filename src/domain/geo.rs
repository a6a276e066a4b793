//! Distances on the Earth's surface, for delivery areas and discovery.

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres (haversine), for rules evaluated in process. Discovery
/// measures the same distance through `unit_vector` and `arc_km`.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().clamp(0.0, 1.0).asin()
}

/// A coordinate to seven decimals (about 1 cm), as stored and compared. Postgres refuses float
/// arithmetic that underflows, so a subnormal coordinate (5e-324) left as sent would turn every
/// discovery query that meets it into an error; no map needs more precision than this.
pub fn round_coordinate(degrees: f64) -> f64 {
    let rounded = (degrees * 1e7).round() / 1e7;
    // Never -0.0: it would print as "-0" on the wire.
    rounded + 0.0
}

/// A point as a unit vector from the Earth's centre (x, y, z): what the discovery index stores,
/// because straight-line (chord) distance between such vectors orders points exactly as the
/// great-circle distance does, and a GiST index on `cube` answers nearest-first by it.
pub fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The chord between two unit vectors whose great-circle distance is `km`.
pub fn chord_of_km(km: f64) -> f64 {
    2.0 * (km / (2.0 * EARTH_RADIUS_KM)).min(std::f64::consts::FRAC_PI_2).sin()
}

/// The great-circle distance in kilometres of a chord between two unit vectors.
pub fn arc_km(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord / 2.0).clamp(0.0, 1.0).asin()
}

pub fn valid_coordinates(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manhattan_to_brooklyn_is_a_few_km() {
        let d = distance_km(40.7580, -73.9855, 40.6782, -73.9442);
        assert!((9.0..10.0).contains(&d), "{d}");
        assert_eq!(distance_km(1.0, 2.0, 1.0, 2.0), 0.0);
    }

    #[test]
    fn a_chord_measures_what_haversine_measures() {
        let (a, b) = (unit_vector(40.7580, -73.9855), unit_vector(40.6782, -73.9442));
        let chord = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
        let haversine = distance_km(40.7580, -73.9855, 40.6782, -73.9442);
        assert!((arc_km(chord) - haversine).abs() < 1e-6, "{} {haversine}", arc_km(chord));
        assert!((arc_km(chord_of_km(12.5)) - 12.5).abs() < 1e-9);
    }

    #[test]
    fn coordinates_keep_seven_decimals_and_lose_subnormals() {
        assert_eq!(round_coordinate(40.712_812_345), 40.712_812_3);
        assert_eq!(round_coordinate(5e-324), 0.0);
        assert_eq!(round_coordinate(-1.192_092_896e-7).to_string(), "-0.0000001");
        assert_eq!(round_coordinate(-1e-9).to_string(), "0");
        assert_eq!(round_coordinate(-74.006), -74.006);
    }
}
