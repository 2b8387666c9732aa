"""Fund custody's adapters: raw SQL on its own PostgreSQL database (asyncpg)."""
