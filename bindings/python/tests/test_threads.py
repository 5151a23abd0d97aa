import os
import threading

import gstauth


def test_16_threads(backend):
    key = gstauth.new_app_key(backend=backend).app_key
    errors = []

    def work(i):
        try:
            for j in range(300):
                pt = f"{i}:{j}".encode() * (j % 7)
                ct = gstauth.aes_ecb_encrypt_raw(pt, key=key, backend=backend)
                assert gstauth.aes_ecb_decrypt(key=key, ciphertext=ct, backend=backend).plaintext == pt
                r = gstauth.gstn_encrypt_request(sek=key, payload={"i": i, "j": j}, backend=backend)
                assert gstauth.gstn_decrypt_request(sek=key, data=r.data, hmac=r.hmac, backend=backend).payload == \
                    f'{{"i":{i},"j":{j}}}'
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_no_memory_growth_over_100k_calls():
    b = gstauth.get_backend("cshared")
    key = b"k" * 32
    for _ in range(5000):  # warm up the Go heap and the allocator
        gstauth.aes_ecb_encrypt_raw(b"payload", key=key, backend=b)
    before = rss_kib()
    for i in range(100_000):
        gstauth.aes_ecb_encrypt_raw(b"payload %d" % i, key=key, backend=b)
        if i % 10 == 0:
            try:
                gstauth.aes_ecb_decrypt(key=key, ciphertext=b"x", backend=b)
            except gstauth.DecryptFailed:
                pass
    grown = rss_kib() - before
    print(f"RSS grew {grown} KiB over 100k calls")
    assert grown < 20 * 1024, f"RSS grew {grown} KiB over 100k calls"
