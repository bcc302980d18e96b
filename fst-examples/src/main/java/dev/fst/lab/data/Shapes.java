package dev.fst.lab.data;

/**
 * Signed distance functions of the synthetic dataset's ten shape families, in a unit frame (the
 * shape fits in the disk of radius 1); negative inside.
 */
final class Shapes {

    static final String[] NAMES = {
        "disk", "ring", "triangle", "square", "cross", "star", "crescent", "hourglass", "corner", "chevron"
    };

    private static final double[][] TRIANGLE = regular(3, 1.0, 0);
    private static final double[][] STAR = star(5, 1.0, 0.42);
    private static final double[][] HOURGLASS = {
        {-0.75, -0.9}, {0.75, -0.9}, {0.14, 0}, {0.75, 0.9}, {-0.75, 0.9}, {-0.14, 0}
    };
    private static final double[][] CORNER = {
        {-0.75, -0.9}, {-0.25, -0.9}, {-0.25, 0.4}, {0.8, 0.4}, {0.8, 0.9}, {-0.75, 0.9}
    };
    private static final double[][] CHEVRON = {
        {-0.9, -0.45}, {0, 0.35}, {0.9, -0.45}, {0.9, 0.2}, {0, 1.0}, {-0.9, 0.2}
    };

    private Shapes() {}

    /** Signed distance of (x, y) to shape {@code family}, in units of the shape's radius. */
    static double distance(int family, double x, double y) {
        double r = Math.hypot(x, y);
        return switch (family) {
            case 0 -> r - 0.85;
            case 1 -> Math.abs(r - 0.68) - 0.24;
            case 2 -> polygon(TRIANGLE, x, y);
            case 3 -> box(x, y, 0.72, 0.72);
            case 4 -> Math.min(box(x, y, 0.95, 0.3), box(x, y, 0.3, 0.95));
            case 5 -> polygon(STAR, x, y);
            case 6 -> Math.max(r - 0.9, -(Math.hypot(x - 0.5, y) - 0.72));
            case 7 -> polygon(HOURGLASS, x, y);
            case 8 -> polygon(CORNER, x, y);
            case 9 -> polygon(CHEVRON, x, y);
            default -> throw new IllegalArgumentException("no shape family " + family);
        };
    }

    private static double box(double x, double y, double hx, double hy) {
        double dx = Math.abs(x) - hx;
        double dy = Math.abs(y) - hy;
        double outside = Math.hypot(Math.max(dx, 0), Math.max(dy, 0));
        return outside + Math.min(Math.max(dx, dy), 0);
    }

    /** Distance to the polygon's edges, negative inside (even-odd rule). */
    private static double polygon(double[][] v, double x, double y) {
        double best = Double.MAX_VALUE;
        boolean inside = false;
        for (int i = 0, j = v.length - 1; i < v.length; j = i++) {
            double ax = v[j][0];
            double ay = v[j][1];
            double ex = v[i][0] - ax;
            double ey = v[i][1] - ay;
            double wx = x - ax;
            double wy = y - ay;
            double t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
            double dx = wx - ex * t;
            double dy = wy - ey * t;
            best = Math.min(best, dx * dx + dy * dy);
            if ((v[i][1] > y) != (ay > y) && x < ex * (y - ay) / ey + ax) {
                inside = !inside;
            }
        }
        double d = Math.sqrt(best);
        return inside ? -d : d;
    }

    private static double[][] regular(int sides, double radius, double phase) {
        double[][] v = new double[sides][];
        for (int i = 0; i < sides; i++) {
            double a = phase + 2 * Math.PI * i / sides - Math.PI / 2;
            v[i] = new double[] {radius * Math.cos(a), radius * Math.sin(a)};
        }
        return v;
    }

    private static double[][] star(int points, double outer, double inner) {
        double[][] v = new double[2 * points][];
        for (int i = 0; i < 2 * points; i++) {
            double a = Math.PI * i / points - Math.PI / 2;
            double rr = i % 2 == 0 ? outer : inner;
            v[i] = new double[] {rr * Math.cos(a), rr * Math.sin(a)};
        }
        return v;
    }
}
