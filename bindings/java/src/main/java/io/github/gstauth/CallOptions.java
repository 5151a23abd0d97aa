package io.github.gstauth;

/**
 * Per-call arguments of an ordinary API call's headers (GSTN returns calls): the return period (MMYYYY), the return
 * type and the user role; {@code txn}, a request id of the caller's own (null: the core draws one). Any may be null.
 *
 * @param retPeriod GSTN returns calls: the return period, MMYYYY
 * @param rtnTyp    GSTN returns calls: the return type
 * @param userrole  GSTN returns calls: the user role
 * @param txn       GSTN: the request id; null draws a random one
 */
public record CallOptions(String retPeriod, String rtnTyp, String userrole, String txn) {
    /** No per-call arguments. */
    public static final CallOptions NONE = new CallOptions(null, null, null, null);

    /** Only a return period. */
    public static CallOptions retPeriod(String retPeriod) {
        return new CallOptions(retPeriod, null, null, null);
    }

    /** These options, each null one taken from {@code defaults}. */
    public CallOptions over(CallOptions defaults) {
        if (defaults == null) {
            return this;
        }
        return new CallOptions(retPeriod != null ? retPeriod : defaults.retPeriod,
                rtnTyp != null ? rtnTyp : defaults.rtnTyp, userrole != null ? userrole : defaults.userrole,
                txn != null ? txn : defaults.txn);
    }
}
