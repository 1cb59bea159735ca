package dev.caravan.app.serve;

/**
 * What an operation answers: the HTTP status and the JSON body, and whether it replays an earlier request's run (the
 * {@code Idempotent-Replayed} header).
 */
record ApiResponse(int status, Object body, boolean replayed) {

    static ApiResponse of(int status, Object body) {
        return new ApiResponse(status, body, false);
    }
}
