package dev.caravan.app.serve;

import java.util.Map;

/**
 * A request the API refuses, with what its {@code application/problem+json} answer says (RFC 9457): the HTTP status,
 * a stable {@code code} a client can act on, a short title and a detail for this occurrence; {@code extensions} are
 * further members (such as the list of input violations).
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String title;
    private final transient Map<String, Object> extensions;

    public ApiException(int status, String code, String title, String detail) {
        this(status, code, title, detail, Map.of());
    }

    public ApiException(int status, String code, String title, String detail, Map<String, Object> extensions) {
        super(detail, null, false, false); // an answer to a request, not a fault: no stack trace
        this.status = status;
        this.code = code;
        this.title = title;
        this.extensions = Map.copyOf(extensions);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    public Map<String, Object> extensions() {
        return extensions;
    }
}
