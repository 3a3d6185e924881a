"""TOTP: enrolment, confirmation, login challenge, replay, ±1 step, lockout, recovery codes, proof token."""

import jwt


async def login(auth, person, password=None):
    return await auth.client.post("/v1/auth/login", json={"email": person.email, "password": password or auth.password})


async def test_enrol_confirm_and_login_with_a_second_factor(auth):
    person = await auth.with_two_factor(await auth.signup())
    assert ("TwoFactorEnabled", {}) in await auth.events()
    challenge = (await login(auth, person)).json()
    assert challenge["two_factor_required"] is True and "access_token" not in challenge

    done = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": challenge["challenge_token"],
                                                              "code": auth.code(person, 0)})
    assert done.status_code == 200 and done.json()["refresh_token"].startswith("adly_rt_")


async def test_a_code_works_once_and_earlier_steps_never(auth):
    person = await auth.with_two_factor(await auth.signup())
    token = (await login(auth, person)).json()["challenge_token"]
    code = auth.code(person, 0)
    first = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": code})
    replay = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": code})
    assert first.status_code == 200 and replay.status_code == 401
    older = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": auth.code(person, -1)})
    assert older.status_code == 401


async def test_one_step_ahead_is_accepted_and_two_steps_are_not(auth):
    person = await auth.with_two_factor(await auth.signup())
    token = (await login(auth, person)).json()["challenge_token"]
    two_ahead = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": auth.code(person, 2)})
    assert two_ahead.status_code == 401
    one_ahead = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": auth.code(person, 1)})
    assert one_ahead.status_code == 200


async def test_five_wrong_codes_lock_the_second_factor(auth):
    person = await auth.with_two_factor(await auth.signup())
    token = (await login(auth, person)).json()["challenge_token"]
    wrong = "000000" if auth.code(person, 0) != "000000" else "111111"
    answers = [await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": wrong}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    locked = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "code": auth.code(person, 1)})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 800


async def test_a_recovery_code_works_once(auth):
    person = await auth.with_two_factor(await auth.signup())
    token = (await login(auth, person)).json()["challenge_token"]
    code = person.recovery_codes[0].lower()
    first = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "recovery_code": code})
    again = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": token, "recovery_code": code})
    assert first.status_code == 200 and again.status_code == 401


async def test_the_proof_token_has_the_documented_shape(auth):
    person = await auth.with_two_factor(await auth.signup())
    response = await auth.client.post("/v1/auth/2fa/verify", json={"code": auth.code(person, 0)}, headers=auth.identity(person))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    proof = response.json()["two_factor_token"]
    assert jwt.get_unverified_header(proof)["typ"] == "2fa+jwt"
    claims = jwt.decode(proof, options={"verify_signature": False})
    assert claims["aud"] == "adly-2fa" and claims["sub"] == str(person.user_id) and claims["exp"] - claims["iat"] == 300


async def test_an_access_token_is_not_a_login_challenge(auth):
    person = await auth.with_two_factor(await auth.signup())
    response = await auth.client.post("/v1/auth/login/2fa", json={"challenge_token": person.access_token,
                                                                  "code": auth.code(person, 0)})
    assert response.status_code == 401
