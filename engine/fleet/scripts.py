"""The lease's compare-and-act steps, each one Lua script so that Redis runs it atomically: a
token is checked and acted on in one step, never read and then written by a second command
that another holder's write could come between."""

from __future__ import annotations

# KEYS[1] lease, ARGV[1] token: the lease's remaining milliseconds when it is this token's,
# -2 when there is no lease, -3 when another token holds it.
VERIFY = """
local value = redis.call('GET', KEYS[1])
if not value then return -2 end
if value ~= ARGV[1] then return -3 end
return redis.call('PTTL', KEYS[1])
"""

# KEYS[1] lease, KEYS[2] holder, ARGV[1] token, ARGV[2] milliseconds: 1 renewed, 0 lost.
RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS[1] lease, KEYS[2] holder, ARGV[1] token: 1 released, 0 it was not this token's.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
"""

# KEYS[1] lease, KEYS[2] holder, ARGV[1] token, ARGV[2] milliseconds, then holder field/value
# pairs: 1 taken, 0 someone holds it.
ACQUIRE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('DEL', KEYS[2])
if #ARGV > 2 then redis.call('HSET', KEYS[2], unpack(ARGV, 3)) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""
