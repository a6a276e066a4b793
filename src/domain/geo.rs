//! Distances on the Earth's surface, for delivery areas and discovery.

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres (haversine). The store layer runs the same formula in SQL
/// for discovery; this one serves rules evaluated in process.
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
    fn coordinates_keep_seven_decimals_and_lose_subnormals() {
        assert_eq!(round_coordinate(40.712_812_345), 40.712_812_3);
        assert_eq!(round_coordinate(5e-324), 0.0);
        assert_eq!(round_coordinate(-1.192_092_896e-7).to_string(), "-0.0000001");
        assert_eq!(round_coordinate(-1e-9).to_string(), "0");
        assert_eq!(round_coordinate(-74.006), -74.006);
    }
}
